"""Building blocks of the static HTML fallback: inline styles only, everything escaped."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from .formatting import MESSAGE_COLOURS, STATE_COLOURS, state_family

#: The static HTML's neutral colours, the only colours written here (state and status
#: colours come from states.json and status_colours.json): greys that read on light and dark
#: backgrounds, and the accent of a bar with nothing to warn about (the fallback of the live
#: views' --sfj-accent).
THEME = {
    "border": "rgba(127,127,127,.35)",
    "track": "rgba(127,127,127,.2)",
    "code_bg": "rgba(127,127,127,.08)",
    "accent": "#1f6fd1",
}

FALLBACK_NOTE = (
    "Live view unavailable: if this notebook is running, the widget front end did not load "
    "— install anywidget in the Jupyter server's environment (pip install anywidget) and "
    "reload the page."
)

_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:13px"
_MONO = "font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px"


def badge(state: str, count: int | None = None) -> str:
    bg, fg = STATE_COLOURS[state_family(state)]
    label = escape(state or "UNKNOWN") + (f" {count}" if count is not None else "")
    return (
        f'<span style="display:inline-block;padding:1px 8px;border-radius:10px;'
        f'background:{bg};color:{fg};font-weight:600;font-size:12px;letter-spacing:.02em">'
        f"{label}</span>"
    )


def box(inner: str, *, kind: str) -> str:
    return (
        f'<div class="sfj-static" data-sfj-static="{escape(kind)}" style="{_FONT};'
        f"border:1px solid {THEME['border']};border-radius:6px;padding:10px 12px;"
        f'max-width:960px;line-height:1.45">{inner}{note()}</div>'
    )


def heading(*parts: str) -> str:
    style = "display:flex;gap:8px;align-items:center;flex-wrap:wrap"
    return f'<div style="{style}">{"".join(parts)}</div>'


def strong(text: str) -> str:
    return f"<strong>{escape(text)}</strong>"


def muted(text: str, *, mono: bool = False) -> str:
    style = _MONO if mono else ""
    return f'<span style="opacity:.7;{style}">{escape(text)}</span>'


def facts(items: Iterable[tuple[str, str]]) -> str:
    cells = "".join(
        f'<span style="margin-right:16px"><span style="opacity:.7">{escape(k)}</span> '
        f"{escape(v)}</span>"
        for k, v in items
        if v
    )
    return f'<div style="margin-top:6px">{cells}</div>' if cells else ""


def message(text: str, level: str) -> str:
    if not text:
        return ""
    colour = MESSAGE_COLOURS.get(level, MESSAGE_COLOURS["info"])
    return (
        f'<div style="margin-top:6px;padding:4px 8px;border-left:3px solid {colour}">'
        f"{escape(text)}</div>"
    )


def pre(lines: list[str], *, label: str = "") -> str:
    if not lines:
        return ""
    caption = f'<div style="opacity:.7;margin-top:8px">{escape(label)}</div>' if label else ""
    body = escape("\n".join(lines))
    return (
        f'{caption}<pre style="{_MONO};margin:4px 0 0;padding:6px 8px;max-height:320px;'
        f"overflow:auto;background:{THEME['code_bg']};border-radius:4px;"
        f'white-space:pre-wrap">{body}</pre>'
    )


def table(headers: list[str], rows: list[list[str]]) -> str:
    cell = "padding:2px 10px 2px 0;text-align:left;vertical-align:top"
    head = "".join(f'<th style="{cell}">{escape(h)}</th>' for h in headers)
    body = "".join(
        "<tr>" + "".join(f'<td style="{cell}">{c}</td>' for c in row) + "</tr>" for row in rows
    )
    return (
        f'<table style="border-collapse:collapse;margin-top:6px;{_FONT}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def note() -> str:
    return f'<div style="margin-top:8px;opacity:.6;font-size:11px">{escape(FALLBACK_NOTE)}</div>'
