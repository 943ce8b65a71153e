"""``QueueTable``: the jobs of a machine (and user) as a live, sortable table."""

from __future__ import annotations

import time
from html import escape
from typing import Any

import traitlets as t

from ..client.models.jobs import JobInfo
from ._base import SfWidget
from ._static import css, esm
from .support import static_html
from .support.formatting import format_duration, iso, seconds


def job_row(info: JobInfo) -> dict[str, Any]:
    """The row of one job: plain JSON, only fields the table shows (never ``raw``)."""
    return {
        "jobid": info.jobid,
        "name": info.name or "",
        "user": info.user or "",
        "state": info.state.value,
        "reason": "" if info.reason in (None, "None") else str(info.reason),
        "partition": info.partition or "",
        "qos": info.qos or "",
        "nodes": info.nodes,
        "nodelist": info.nodelist or "",
        "submit_time": iso(info.submit_time),
        "start_time": iso(info.start_time),
        "end_time": iso(info.end_time),
        "elapsed_s": seconds(info.elapsed),
        "time_limit_s": seconds(info.time_limit),
        "exit_code": info.exit_code,
        "array_job_id": info.array_job_id or "",
        "array_task_id": info.array_task_id or "",
    }


#: Rows in the static summary at most (the saved notebook stays small).
MAX_TABLE_ROWS = 50


class QueueTable(SfWidget):
    """Jobs of one machine, updated in place; finished jobs move to a "done" section.

    Examples
    --------
    >>> from sfapi_jupyter.client.models.jobs import JobInfo, JobState
    >>> table = QueueTable(machine="perlmutter", user="elvis")
    >>> table.upsert([JobInfo(jobid="1", name="a", state=JobState.RUNNING)])
    >>> table.mark_done(["1"])
    >>> [(row["jobid"], row["done"]) for row in table.rows]
    [('1', True)]
    """

    actions = {"cancel": "callback(jobids) when the user confirms cancelling the selected jobs"}

    _esm = esm("queue_table")
    _css = css("queue_table")

    machine = t.Unicode("").tag(sync=True)
    """Machine whose queue this is. - Type: str"""
    user = t.Unicode("").tag(sync=True)
    """Whose jobs (empty: everyone's). - Type: str - Default: ``""``"""
    counts = t.Dict().tag(sync=True)
    """Jobs per state still in the queue, plus ``done``. - Type: dict[str, int]"""
    can_cancel = t.Bool(False).tag(sync=True)
    """True while a cancel callback is set. - Type: bool"""
    updated = t.Unicode("").tag(sync=True)
    """When rows last changed (local ISO time). - Type: str"""

    def __init__(self, *, machine: str, user: str | None = None) -> None:
        super().__init__(machine=machine, user=user or "")
        self._rows: dict[str, dict[str, Any]] = {}
        self._handle("cancel", self._on_cancel)

    # -- feeding ------------------------------------------------------------------------------
    def upsert(self, infos: list[JobInfo]) -> None:
        """Add or update rows; only rows that changed are sent. Ended jobs go to "done"."""
        changed = []
        for info in infos:
            row = job_row(info)
            old = self._rows.get(row["jobid"])
            row["done"] = bool(old and old["done"]) or info.is_terminal
            if old != row:
                self._rows[row["jobid"]] = row
                changed.append(row)
        if changed:
            self._send_msg("upsert", rows=changed, at_ms=_now_ms())
            self._changed()

    def mark_done(self, jobids: list[str]) -> None:
        """Move these jobs (they left the queue) to the "done" section; they stay listed."""
        moved = []
        for jobid in jobids:
            row = self._rows.get(str(jobid))
            if row is not None and not row["done"]:
                row["done"] = True
                moved.append(row["jobid"])
        if moved:
            self._send_msg("done", jobids=moved)
            self._changed()

    def remove(self, jobids: list[str]) -> None:
        """Drop rows entirely (for a user who clears the done section)."""
        gone = [str(j) for j in jobids if self._rows.pop(str(j), None) is not None]
        if gone:
            self._send_msg("remove", jobids=gone)
            self._changed()

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The current rows (copies), queue first then done, each with a ``done`` flag."""
        rows = [dict(row) for row in self._rows.values()]
        return sorted(rows, key=lambda row: row["done"])

    # -- protocol -----------------------------------------------------------------------------
    def _changed(self) -> None:
        counts: dict[str, int] = {}
        for row in self._rows.values():
            key = "done" if row["done"] else row["state"]
            counts[key] = counts.get(key, 0) + 1
        with self.hold_sync():
            self.counts = counts
            self.updated = time.strftime("%Y-%m-%dT%H:%M:%S")

    def _snapshot(self) -> dict[str, Any]:
        return {"rows": list(self._rows.values()), "at_ms": _now_ms()}

    def _actions_changed(self) -> None:
        self.can_cancel = self.handles("cancel")

    def _on_cancel(self, content: dict[str, Any]) -> None:
        wanted = content.get("jobids")
        if not isinstance(wanted, list):
            return
        # Only jobs this table shows and that are still queued: a stale browser selection
        # must not reach scancel.
        open_ids = {jobid for jobid, row in self._rows.items() if not row["done"]}
        open_arrays = {row["array_job_id"] for row in self._rows.values() if not row["done"]}
        jobids = [str(j) for j in wanted if str(j) in open_ids or str(j) in open_arrays - {""}]
        if not jobids:
            return
        self._fire("cancel", jobids)

    # -- static -------------------------------------------------------------------------------
    def summary_text(self) -> str:
        active = sum(v for k, v in self.counts.items() if k != "done")
        who = f" for {self.user}" if self.user else ""
        return (
            f"QueueTable {self.machine}{who}: {active} in queue, {self.counts.get('done', 0)} done"
        )

    def summary_html(self) -> str:
        rows = self.rows
        head = static_html.heading(
            static_html.strong(f"Queue on {self.machine}"),
            static_html.muted(f"user {self.user}") if self.user else "",
            " ".join(
                static_html.badge(s, n) for s, n in sorted(self.counts.items()) if s != "done"
            ),
            static_html.muted(f"{self.counts.get('done', 0)} done"),
        )
        body = []
        for row in rows[:MAX_TABLE_ROWS]:
            elapsed = row["elapsed_s"]
            body.append(
                [
                    escape(row["jobid"]),
                    escape(row["name"]),
                    static_html.badge(row["state"]) + (" ✓ done" if row["done"] else ""),
                    escape(format_duration(elapsed) if elapsed is not None else ""),
                    escape("" if row["nodes"] is None else str(row["nodes"])),
                    escape(row["reason"]),
                ]
            )
        more = len(rows) - MAX_TABLE_ROWS
        extra = static_html.muted(f"… and {more} more") if more > 0 else ""
        table_html = (
            static_html.table(["job", "name", "state", "elapsed", "nodes", "reason"], body)
            if body
            else ""
        )
        return static_html.box(head + table_html + extra, kind="queue-table")


def _now_ms() -> int:
    return int(time.time() * 1000)
