"""``StatusBoard``: every NERSC resource's status, notes, outages and planned maintenance."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from html import escape
from typing import Any

import traitlets as t

from ..client.models.status import Note, Outage, Status
from ._base import SfWidget
from ._static import css, esm
from .support import static_html
from .support.formatting import STATUS, iso

#: Status colours, labels, order and NERSC's resource groups (widgets/status_colours.json).
STATUS_TABLE: dict[str, Any] = STATUS
GROUPS: list[tuple[str, str]] = [(k, v) for k, v in STATUS_TABLE["groups"]]
_ALIASES = {
    "compute": ("compute", "system", "systems"),
    "storage": ("storage", "archive"),
    "filesystem": ("filesystem", "filesystems", "file system", "file systems"),
    "service": ("service", "services"),
}
_GROUP_OF = {alias: group for group, aliases in _ALIASES.items() for alias in aliases}


def group_of(system_type: str | None) -> str:
    """The board's group for a status row's ``system_type`` (``"other"`` when unknown)."""
    return _GROUP_OF.get((system_type or "").strip().lower(), "other")


def status_label(status: str) -> str:
    return str(STATUS_TABLE["labels"].get(status, status.title() or "Unknown"))


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def resource_row(status: Status, notes: Iterable[str] = ()) -> dict[str, Any]:
    """One resource as the board shows it: plain JSON; ``notes`` are its active notes."""
    merged = list(dict.fromkeys(n.strip() for n in [*status.notes, *notes] if n and n.strip()))
    return {
        "name": status.name,
        "full_name": status.full_name or status.name,
        "group": group_of(status.system_type),
        "status": status.status.value,
        "description": status.description or "",
        "notes": merged,
        "updated_at": iso(status.updated_at),
        "changed": False,
        "was": "",
        "changed_at": "",
    }


def outage_row(outage: Outage, now: dt.datetime) -> dict[str, Any]:
    start, end = outage.start_at, outage.end_at
    current = (outage.status or "").lower() == "active" or (
        start is not None and start <= now and (end is None or end > now)
    )
    return {
        "name": outage.name,
        "start_at": iso(start),
        "end_at": iso(end),
        "description": outage.description or "",
        "notes": outage.notes or "",
        "status": outage.status or "",
        "swo": outage.swo or "",
        "current": bool(current),
    }


def relevant_outages(
    outages: Iterable[Outage], now: dt.datetime, days: int
) -> list[dict[str, Any]]:
    """Outages going on now, and planned ones that start within ``days``; by start time."""
    horizon = now + dt.timedelta(days=days)
    rows = []
    seen = set()
    for outage in outages:
        status = (outage.status or "").lower()
        if status in ("completed", "cancelled") or outage.start_at is None:
            continue
        if outage.end_at is not None and outage.end_at <= now:
            continue
        if outage.start_at >= horizon:
            continue
        key = (outage.name, outage.start_at, outage.description)
        if key not in seen:
            seen.add(key)
            rows.append(outage_row(outage, now))
    return sorted(rows, key=lambda r: (r["start_at"], r["name"]))


class StatusBoard(SfWidget):
    """Every resource grouped as NERSC groups them, with status, notes and outages.

    A feed (:func:`sfapi_jupyter.notebook.status.status_board`) calls :meth:`update`; what
    changed since the last look (the board's first data, or the last "mark as seen") is
    marked until the user marks it seen.

    Examples
    --------
    >>> from sfapi_jupyter.client.models.status import Status
    >>> board = StatusBoard()
    >>> board.update([Status(name="perlmutter", status="active", system_type="compute")], [])
    >>> board.update([Status(name="perlmutter", status="degraded", system_type="compute")])
    >>> [(r["name"], r["status"], r["was"]) for r in board.resources]
    [('perlmutter', 'degraded', 'active')]
    """

    actions = {"refresh": "callback() when the user asks for a refresh now (or a view comes back)"}

    _esm = esm("status_board")
    _css = css("status_board")

    resources: t.List[dict[str, Any]] = t.List().tag(sync=True)
    """One row per resource: name, full_name, group, status, notes, changed, was, ...
    - Type: list[dict]"""
    outages: t.List[dict[str, Any]] = t.List().tag(sync=True)
    """Outages now and planned within ``window_days``. - Type: list[dict]"""
    checked_at = t.Unicode("").tag(sync=True)
    """When the status was last read (ISO, with offset). - Type: str"""
    interval = t.Float(60.0).tag(sync=True)
    """Seconds between refreshes while the board is visible. - Type: float"""
    window_days = t.Int(14).tag(sync=True)
    """Days of planned outages on the timeline. - Type: int"""
    only = t.List(t.Unicode()).tag(sync=True)
    """The resources asked for (empty: all). - Type: list[str]"""
    notice = t.Unicode("").tag(sync=True)
    """A standing remark, e.g. that the API key was refused. - Type: str"""
    error = t.Unicode("").tag(sync=True)
    """Why the last refresh failed (empty when it worked). - Type: str"""
    refreshes = t.Int(0).tag(sync=True)
    """How many times the status was read. - Type: int"""

    def __init__(
        self, *, only: Iterable[str] = (), interval: float = 60.0, window_days: int = 14
    ) -> None:
        super().__init__(only=list(only), interval=float(interval), window_days=int(window_days))
        self._reference: dict[str, tuple[str, tuple[str, ...]]] | None = None
        self._statuses: list[Status] = []
        self._outages: list[Outage] = []
        self._notes: dict[str, list[str]] = {}
        self._views: set[str] = set()
        self._handle("visible", self._on_visible)
        self._handle("refresh", lambda _c: self.request_refresh())
        self._handle("seen", lambda _c: self.mark_seen())

    # -- feeding ------------------------------------------------------------------------------
    def update(
        self,
        statuses: Iterable[Status],
        outages: Iterable[Outage] | None = None,
        notes: Iterable[Note] | None = None,
        *,
        now: dt.datetime | None = None,
    ) -> None:
        """New status rows (and outages and notes, if read this time); marks what changed."""
        now = now or _now()
        wanted = set(self.only)
        self._statuses = [s for s in statuses if not wanted or s.name in wanted]
        if outages is not None:
            self._outages = [o for o in outages if not wanted or o.name in wanted]
        if notes is not None:
            self._notes = {}
            for note in notes:
                if note.active and note.notes:
                    self._notes.setdefault(note.name, []).append(note.notes)
        previous = {r["name"]: r for r in self.resources}
        rows = []
        for status in self._statuses:
            row = resource_row(status, self._notes.get(status.name, ()))
            ref = (self._reference or {}).get(status.name)
            if ref is not None and (row["status"], tuple(row["notes"])) != ref:
                row["changed"] = True
                row["was"] = ref[0] if ref[0] != row["status"] else ""
                before = previous.get(status.name)
                row["changed_at"] = (
                    before["changed_at"]
                    if before and before["changed"] and before["status"] == row["status"]
                    else iso(now)
                )
            rows.append(row)
        if self._reference is None:
            self._reference = {r["name"]: (r["status"], tuple(r["notes"])) for r in rows}
        with self.hold_sync():
            self.resources = rows
            self.outages = relevant_outages(self._outages, now, self.window_days)
            self.checked_at = iso(now)
            self.error = ""
            self.refreshes += 1

    def set_error(self, text: str) -> None:
        """Say that a refresh failed; the last rows stay shown."""
        self.error = text

    def mark_seen(self) -> None:
        """What is shown now becomes the last look: the change marks go."""
        self._reference = {r["name"]: (r["status"], tuple(r["notes"])) for r in self.resources}
        self.resources = [
            {**r, "changed": False, "was": "", "changed_at": ""} for r in self.resources
        ]

    def request_refresh(self) -> None:
        """What the refresh button does: the ``refresh`` callbacks are called."""
        self._fire("refresh")

    @property
    def visible(self) -> bool:
        """Whether any view of the board is on screen (the feed refreshes only then)."""
        return bool(self._views)

    @property
    def changed(self) -> list[str]:
        """Names of the resources whose status or notes changed since the last look."""
        return [r["name"] for r in self.resources if r["changed"]]

    def status_of(self, name: str) -> str | None:
        return next((r["status"] for r in self.resources if r["name"] == name), None)

    def _on_visible(self, content: dict[str, Any]) -> None:
        view = str(content.get("view") or uuid.uuid4())
        if content.get("value"):
            came_back = not self._views
            self._views.add(view)
            if came_back:
                self.request_refresh()
        else:
            self._views.discard(view)

    # -- static -------------------------------------------------------------------------------
    def _counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.resources:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts

    def summary_text(self) -> str:
        counts = self._counts()
        parts = [f"{n} {status_label(s).lower()}" for s, n in counts.items()]
        return f"StatusBoard: {', '.join(parts) or 'no data'}"

    def summary_html(self) -> str:
        counts = self._counts()
        order = STATUS_TABLE["order"]
        head = static_html.heading(
            static_html.strong("NERSC status"),
            " ".join(_status_chip(s, n) for s in order if (n := counts.get(s))),
            static_html.muted(f"checked {self.checked_at}") if self.checked_at else "",
        )
        rows = []
        for key, label in GROUPS:
            members = [r for r in self.resources if r["group"] == key]
            if not members:
                continue
            # worst first, then in the order /status gives (stable sort)
            members.sort(key=lambda r: order.index(r["status"]) if r["status"] in order else 9)
            chips = " ".join(
                f"{_status_chip(r['status'])} {escape(r['full_name'])}"
                + (f" <em>{escape('; '.join(r['notes']))}</em>" if r["notes"] else "")
                for r in members
                if r["status"] != "active" or r["notes"]
            )
            up = sum(1 for r in members if r["status"] == "active" and not r["notes"])
            rest = static_html.muted(f"{up} up") if up else ""
            rows.append([escape(label), f"{chips} {rest}"])
        groups = static_html.table(["", ""], rows) if rows else ""
        planned = [
            [
                escape(o["name"]),
                escape(o["start_at"][:16].replace("T", " ")),
                escape(o["end_at"][:16].replace("T", " ")),
                ("now: " if o["current"] else "") + escape(o["description"]),
            ]
            for o in self.outages
        ]
        outages = (
            '<div style="margin-top:8px"><strong>Outages now and in the next '
            f"{self.window_days} days</strong></div>"
            + static_html.table(["resource", "from", "to", "what"], planned)
            if planned
            else static_html.muted(
                f"No outages now or planned in the next {self.window_days} days."
            )
        )
        return static_html.box(
            head + static_html.message(self.notice, "warning") + groups + outages,
            kind="status-board",
        )


def _status_chip(status: str, count: int | None = None) -> str:
    bg, fg = STATUS_TABLE["colours"].get(status, STATUS_TABLE["colours"]["other"])
    label = escape(status_label(status)) + (f" {count}" if count is not None else "")
    return (
        f'<span style="display:inline-block;padding:1px 8px;border-radius:10px;'
        f'background:{bg};color:{fg};font-weight:600;font-size:12px">{label}</span>'
    )
