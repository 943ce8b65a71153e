"""``TransferCard``: one transfer between machines, live: state, files, bytes, rate."""

from __future__ import annotations

import datetime as dt
import time
from html import escape
from typing import Any

import traitlets as t

from ..client.models import TransferInfo
from ._base import MessageMixin, SfWidget
from ._static import css, esm
from .support import static_html
from .support.formatting import STATE_COLOURS, format_duration

#: Globus's states and the colour family each one is drawn with (``STARTING``: before the
#: API answered the first time).
FAMILIES = {
    "STARTING": "pending",
    "ACTIVE": "running",
    "SUCCEEDED": "completed",
    "FAILED": "failed",
    "CANCELED": "cancelled",
}
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED")


def human_bytes(value: float | None) -> str:
    """``1536`` → ``"1.5 KiB"``; ``None`` → ``"—"``."""
    if value is None:
        return "—"
    size = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{int(size)} B" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} PiB"  # pragma: no cover - unreachable


class TransferCard(MessageMixin, SfWidget):
    """A live card for one transfer: state, source → target, a progress bar, files, bytes, rate.

    Examples
    --------
    >>> from sfapi_jupyter.client.models import TransferInfo
    >>> card = TransferCard(source="perlmutter:/scratch/run1", target="dtns:/cfs/m1/run1")
    >>> card.set_info(TransferInfo(globus_status="ACTIVE", files=4, files_transferred=1,
    ...                            bytes_transferred=1024, bytes_expected=4096))
    >>> card.state, card.percent
    ('ACTIVE', 25.0)
    """

    _esm = esm("transfer")
    _css = css("transfer")

    transfer_id = t.Unicode("").tag(sync=True)
    """The transfer's id. - Type: str"""
    label = t.Unicode("").tag(sync=True)
    source = t.Unicode("").tag(sync=True)
    """``MACHINE:PATH`` copied from. - Type: str"""
    target = t.Unicode("").tag(sync=True)
    """``MACHINE:PATH`` copied into. - Type: str"""
    state = t.Unicode("STARTING").tag(sync=True)
    """``STARTING``, then Globus's ``ACTIVE``, ``SUCCEEDED``, ``FAILED``, ``CANCELED``."""
    files = t.Int(None, allow_none=True).tag(sync=True)
    files_done = t.Int(0).tag(sync=True)
    bytes_expected = t.Int(None, allow_none=True).tag(sync=True)
    bytes_done = t.Int(0).tag(sync=True)
    rate = t.Float(0.0).tag(sync=True)
    """Bytes per second so far (the API's ``effective_bytes_per_second``)."""
    started_ms = t.Float(0.0).tag(sync=True)
    """When the transfer started (ms since the epoch, kernel clock)."""
    elapsed_s = t.Float(None, allow_none=True).tag(sync=True)
    """Seconds from start to end, once it ended."""
    completion_time = t.Unicode("").tag(sync=True)

    def __init__(self, *, source: str, target: str, transfer_id: str = "", label: str = "") -> None:
        super().__init__(
            source=source,
            target=target,
            transfer_id=transfer_id,
            label=label,
            started_ms=time.time() * 1000,
        )

    # -- feeding ------------------------------------------------------------------------------
    def set_info(self, info: TransferInfo) -> None:
        """Take what the API said now."""
        state = info.globus_status.value
        with self.hold_sync():
            if info.transfer_id:
                self.transfer_id = info.transfer_id
            if info.files is not None:
                self.files = info.files
            if info.bytes_expected is not None:
                self.bytes_expected = info.bytes_expected
            if info.files_transferred is not None:
                self.files_done = info.files_transferred
            if info.bytes_transferred is not None:
                self.bytes_done = info.bytes_transferred
            if info.effective_bytes_per_second is not None:
                self.rate = float(info.effective_bytes_per_second)
            if info.completion_time is not None:
                self.completion_time = info.completion_time.isoformat(timespec="seconds")
            if state in TERMINAL and self.elapsed_s is None:
                self.elapsed_s = max(0.0, time.time() - self.started_ms / 1000)
            self.state = state
            if state == "FAILED":
                self.set_message(
                    f"The transfer failed: {info.reason or 'no reason given'}", "error"
                )
            elif state == "SUCCEEDED":
                self.set_message("", "info")

    @property
    def percent(self) -> float | None:
        """Bytes done out of the bytes expected, in percent (None while unknown)."""
        if self.state == "SUCCEEDED":
            return 100.0
        if not self.bytes_expected:
            return None
        return round(min(100.0, 100.0 * self.bytes_done / self.bytes_expected), 1)

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL

    # -- static -------------------------------------------------------------------------------
    def _facts(self) -> list[tuple[str, str]]:
        files = f"{self.files_done}" + (f" / {self.files}" if self.files is not None else "")
        size = human_bytes(self.bytes_done)
        if self.bytes_expected is not None:
            size += f" / {human_bytes(self.bytes_expected)}"
        out = [("files", files), ("bytes", size)]
        if self.rate:
            out.append(("rate", f"{human_bytes(self.rate)}/s"))
        if self.elapsed_s is not None:
            out.append(("took", format_duration(self.elapsed_s)))
        return out

    def summary_text(self) -> str:
        facts = ", ".join(f"{k} {v}" for k, v in self._facts())
        return f"Transfer {self.source} -> {self.target}: {self.state} ({facts})"

    def summary_html(self) -> str:
        bg, fg = STATE_COLOURS[FAMILIES.get(self.state, "other")]
        badge = (
            f'<span style="display:inline-block;padding:1px 8px;border-radius:10px;'
            f'background:{bg};color:{fg};font-weight:600;font-size:12px">'
            f"{escape(self.state)}</span>"
        )
        head = static_html.heading(
            badge,
            static_html.strong(self.label or "Transfer"),
            static_html.muted(f"{self.source} → {self.target}", mono=True),
        )
        percent = self.percent
        bar = ""
        if percent is not None:
            bar = (
                '<div style="margin-top:6px;height:8px;max-width:480px;border-radius:4px;'
                f'background:{static_html.THEME["track"]}"><div style="height:8px;width:{percent}%;'
                f'border-radius:4px;background:{bg}"></div></div>'
            )
        facts = static_html.facts(self._facts())
        message = static_html.message(self.message, self.message_level)
        return static_html.box(head + bar + facts + message, kind="transfer")

    def _snapshot(self) -> dict[str, Any]:
        return {"at_ms": int(dt.datetime.now().timestamp() * 1000)}
