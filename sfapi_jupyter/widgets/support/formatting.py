"""Small, pure helpers shared by the widgets and their static HTML: state colours, times."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

#: The one table of state families, colours, terminal states and order; the TypeScript
#: views import the same file (js/src/lib/states.ts), so the two cannot disagree.
STATES: dict[str, Any] = json.loads((Path(__file__).parents[1] / "states.json").read_text())
# (background, text) per state family: readable at a glance in light and dark themes.
STATE_COLOURS: dict[str, tuple[str, str]] = {k: (v[0], v[1]) for k, v in STATES["colours"].items()}
_FAMILY: dict[str, str] = STATES["families"]
#: The status palette (resource statuses, message levels, API client levels) and how the
#: StatusBoard shows statuses; js/src/lib/status_colours.ts imports the same file.
STATUS: dict[str, Any] = json.loads((Path(__file__).parents[1] / "status_colours.json").read_text())
#: Edge colour of a message, by level (error, warning, success, info).
MESSAGE_COLOURS: dict[str, str] = STATUS["messages"]


def tint(colour: str, alpha: float) -> str:
    """``("#c62828", 0.08)`` → ``"rgba(198,40,40,0.08)"``: a palette colour, see-through."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def state_family(state: str) -> str:
    """``"OUT_OF_MEMORY"`` → ``"failed"``; the colour family of a Slurm state."""
    return _FAMILY.get(state.upper(), "other")


#: Slurm's terminal states, from the palette file (tests/widgets/test_palette.py checks they
#: are the client's): the widgets ask without importing the client (``%load_ext`` stays light).
_TERMINAL: frozenset[str] = frozenset(STATES["terminal"])


def is_terminal(state: str) -> bool:
    return state in _TERMINAL


def format_duration(seconds: float | None) -> str:
    """``72`` → ``"1m 12s"``; ``3725`` → ``"1h 02m"``; ``None`` → ``"—"``."""
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def iso(value: dt.datetime | None) -> str:
    """A datetime as ISO text to the second (empty for none); zone kept if it has one."""
    return value.isoformat(timespec="seconds") if value is not None else ""


def seconds(delta: dt.timedelta | None) -> float | None:
    return None if delta is None else max(0.0, delta.total_seconds())


def clock_time(text: str) -> str:
    """``"2026-05-02T18:10:51"`` → ``"18:10:51"`` (the time of day, as the facility gave it)."""
    if "T" in text:
        return text.split("T", 1)[1][:8]
    return text
