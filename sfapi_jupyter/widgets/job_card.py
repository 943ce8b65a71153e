"""``JobCard``: one Slurm job at a glance, live."""

from __future__ import annotations

import datetime as dt
import re
import time
from html import escape
from typing import Any

import traitlets as t

from ..client.models.jobs import JobInfo
from ._base import MessageMixin, SfWidget
from ._static import css, esm
from .support import static_html
from .support.cost import cost_html
from .support.formatting import clock_time, format_duration, is_terminal, iso, seconds
from .support.frames import FramesMixin
from .support.lines import LineBuffer

STREAMS = ("stdout", "stderr")
SUMMARY_LINES = 20


def task_row(info: JobInfo) -> dict[str, Any]:
    """The row of one array task as the card's task list shows it."""
    return {
        "jobid": info.jobid,
        "task": info.array_task_id or info.jobid,
        "state": info.state.value,
        "exit_code": info.exit_code,
        "elapsed_s": seconds(info.elapsed),
        "nodelist": info.nodelist or "",
        "reason": info.reason or "",
    }


def _clock(info: JobInfo, now: dt.datetime) -> dict[str, Any]:
    """Queue wait and run time as of now, and which of them is still counting."""

    def span(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
        if start is None or end is None:
            return None
        if (start.tzinfo is None) != (end.tzinfo is None):  # mixed zones: compare as local
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        return max(0.0, (end - start).total_seconds())

    terminal = info.is_terminal
    started = info.start_time is not None
    queued = span(info.submit_time, info.start_time if started else (info.end_time or now))
    running: float | None = None
    if started:
        running = span(info.start_time, info.end_time) if terminal else None
        if running is None:  # squeue's elapsed time does not depend on the clocks' zones
            running = seconds(info.elapsed) if info.elapsed else span(info.start_time, now)
    ticking = None if terminal else ("running" if started else "queued")
    return {
        "queued_s": queued,
        "running_s": running,
        "ticking": ticking,
        "at_ms": int(time.time() * 1000),
    }


#: A Slurm job id: a number, an array task (``12_3``) or a heterogeneous component (``12+1``).
_JOBID = re.compile(r"^\d+(?:[_+]\d+)?$")


class JobCard(FramesMixin, MessageMixin, SfWidget):
    """A live card for one job: state badge, timeline, times, output, cancel; with
    ``--watch``, the frames the job writes (:mod:`.support.frames`).

    Examples
    --------
    >>> from sfapi_jupyter.client.models.jobs import JobInfo, JobState
    >>> card = JobCard(jobid="4242", machine="perlmutter", name="recon")
    >>> card.set_job(JobInfo(jobid="4242", state=JobState.RUNNING))
    >>> card.state, [step["state"] for step in card.timeline]
    ('RUNNING', ['RUNNING'])
    """

    actions = {
        "cancel": "callback() when the user confirms the card's cancel button",
        "follow": "callback(following) when the user pauses or resumes the output",
        "task": "callback(jobid, index) when the user picks an array task whose output to show",
        "resubmit": "callback(indices) when the user resubmits the array's failed tasks",
    }

    _esm = esm("job_card")
    _css = css("job_card")

    jobid = t.Unicode("").tag(sync=True)
    """Slurm job id. - Type: str"""
    machine = t.Unicode("").tag(sync=True)
    """Machine the job runs on. - Type: str"""
    name = t.Unicode("").tag(sync=True)
    """Job name. - Type: str - Default: ``""``"""
    array = t.Bool(False).tag(sync=True)
    """Whether the job is a job array. - Type: bool - Default: False"""
    state = t.Unicode("UNKNOWN").tag(sync=True)
    """Slurm state as last seen. - Type: str - Default: ``"UNKNOWN"``"""
    reason = t.Unicode("").tag(sync=True)
    exit_code = t.Int(None, allow_none=True).tag(sync=True)
    exit_signal = t.Int(None, allow_none=True).tag(sync=True)
    nodes = t.Int(None, allow_none=True).tag(sync=True)
    nodelist = t.Unicode("").tag(sync=True)
    partition = t.Unicode("").tag(sync=True)
    submit_time = t.Unicode("").tag(sync=True)
    start_time = t.Unicode("").tag(sync=True)
    end_time = t.Unicode("").tag(sync=True)
    clock = t.Dict().tag(sync=True)
    """``queued_s``/``running_s`` as of ``at_ms`` and which one is ``ticking``."""
    timeline = t.List(t.Dict()).tag(sync=True)
    """``[{"state", "time", "seen"}]`` in the order the states were seen."""
    array_counts = t.Dict().tag(sync=True)
    """Tasks per state, for arrays. - Type: dict[str, int]"""
    stdout_path = t.Unicode("").tag(sync=True)
    stderr_path = t.Unicode("").tag(sync=True)
    can_cancel = t.Bool(False).tag(sync=True)
    """True when a cancel callback is set and the job has not ended."""
    cancel_requested = t.Bool(False).tag(sync=True)
    max_lines = t.Int(5000).tag(sync=True)
    last_output = t.Dict().tag(sync=True)
    """The last lines per stream as saved with the notebook (terminal states, refresh)."""
    time_limit_s = t.Float(None, allow_none=True).tag(sync=True)
    """The job's walltime in seconds (for the bell's warning before it is reached)."""
    cost = t.Dict().tag(sync=True)
    """What the job cost once it has ended: ``JobCost.to_json()`` (docs/job-cost.md)."""
    task_shown = t.Unicode("").tag(sync=True)
    """The array task whose output the card shows (``""``: the job's first task)."""
    can_resubmit = t.Bool(False).tag(sync=True)
    """True when a resubmit callback is set and some tasks failed."""
    resubmitted = t.Unicode("").tag(sync=True)
    """The job id of the array made of the failed tasks, once resubmitted."""

    def __init__(
        self,
        *,
        jobid: str,
        machine: str,
        name: str = "",
        array: bool = False,
        max_lines: int = 5000,
    ) -> None:
        text = str(jobid).strip() if isinstance(jobid, (str, int)) else ""
        if isinstance(jobid, bool) or not _JOBID.match(text):
            raise ValueError(
                f"JobCard needs jobid=, a Slurm job id such as '4242' (or '4242_3' for an "
                f"array task), not {jobid!r}; to follow a job use job_card(job) or %sfjob JOBID"
            )
        if not isinstance(machine, str) or not machine.strip():
            raise ValueError(f"JobCard needs machine=, e.g. 'perlmutter', not {machine!r}")
        super().__init__(jobid=text, machine=machine, name=name, array=array, max_lines=max_lines)
        self._buffers = {stream: LineBuffer(max_lines) for stream in STREAMS}
        self._tasks: dict[str, dict[str, Any]] = {}
        self._resubmit_sent = False
        self._handle("cancel", self._on_cancel)
        self._handle("follow", self._on_follow)
        self._handle("task", self._on_task)
        self._handle("resubmit", self._on_resubmit)

    # -- feeding ------------------------------------------------------------------------------
    def set_job(self, info: JobInfo) -> None:
        """Take what is known now; a new state is added to the timeline with when it was seen."""
        state = info.state.value
        now = dt.datetime.now().astimezone()
        with self.hold_sync():
            if info.name and not self.name:
                self.name = info.name
            if state != self.state or not self.timeline:
                self._advance_timeline(info, now)
            self.state = state
            self.reason = "" if info.reason in (None, "None") else str(info.reason)
            self.exit_code = info.exit_code
            self.exit_signal = info.exit_signal
            self.nodes = info.nodes
            self.nodelist = info.nodelist or ""
            self.partition = info.partition or ""
            self.submit_time = iso(info.submit_time)
            self.start_time = iso(info.start_time)
            self.end_time = iso(info.end_time)
            self.clock = _clock(info, now)
            self.time_limit_s = seconds(info.time_limit) if info.time_limit else None
            if info.is_terminal:
                self.can_cancel = False
                self._remember_for_notebook()
            else:
                self.can_cancel = self.handles("cancel")

    def start_over(self, jobid: str) -> None:
        """Follow another job from now on (the same card for each question's job): nothing
        of the last one's state, timeline, cost or cancel stays."""
        with self.hold_sync():
            self.jobid, self.timeline, self.state, self.cost = str(jobid), [], "UNKNOWN", {}
            self.cancel_requested = False

    def _advance_timeline(self, info: JobInfo, now: dt.datetime) -> None:
        steps = list(self.timeline)
        seen = now.isoformat(timespec="seconds")
        known = {step["state"] for step in steps}
        if not steps and info.submit_time and info.state.value != "PENDING":
            steps.append({"state": "PENDING", "time": iso(info.submit_time), "seen": ""})
        # A fast job can go PENDING → COMPLETED between two polls: Slurm's start time says
        # when it ran, so the card still shows that it did.
        if info.is_terminal and info.start_time and "RUNNING" not in known:
            steps.append({"state": "RUNNING", "time": iso(info.start_time), "seen": ""})
        moment = {
            "PENDING": info.submit_time,
            "RUNNING": info.start_time,
        }.get(info.state.value, info.end_time if info.is_terminal else None)
        steps.append({"state": info.state.value, "time": iso(moment), "seen": seen})
        self.timeline = steps

    def set_array_tasks(self, tasks: list[JobInfo]) -> None:
        """Per-state counts and the task list; only changed tasks travel to the browser."""
        changed = []
        for info in tasks:
            row = task_row(info)
            if self._tasks.get(row["jobid"]) != row:
                self._tasks[row["jobid"]] = row
                changed.append(row)
        counts: dict[str, int] = {}
        for row in self._tasks.values():
            counts[row["state"]] = counts.get(row["state"], 0) + 1
        with self.hold_sync():
            self.array = True
            self.array_counts = dict(sorted(counts.items()))
            self.can_resubmit = self._resubmittable()
        if changed:
            self._send_msg("tasks", tasks=changed)

    def append_output(self, text: str, stream: str = "stdout") -> None:
        """New text of the job's ``stdout`` or ``stderr`` (it may end mid-line)."""
        if stream not in self._buffers:
            raise ValueError(f"stream must be one of {', '.join(STREAMS)}, not {stream!r}")
        if not text:
            return
        lines, partial = self._buffers[stream].append(text)
        self._send_msg("append", stream=stream, lines=lines, partial=partial)

    def set_output_paths(self, stdout: str | None, stderr: str | None) -> None:
        with self.hold_sync():
            self.stdout_path = stdout or ""
            self.stderr_path = stderr or ""

    def set_cost(self, cost: dict[str, Any] | None) -> None:
        """What the job cost (``JobCost.to_json()``), shown once it has ended."""
        self.cost = dict(cost or {})

    def show_task(self, jobid: str, stdout: str | None, stderr: str | None) -> None:
        """Show the output of array task ``jobid`` from now on: the buffers start empty."""
        for buf in self._buffers.values():
            buf.clear()
        with self.hold_sync():
            self.task_shown = jobid
            self.set_output_paths(stdout, stderr)
        self._send_msg("snapshot", streams={n: b.snapshot() for n, b in self._buffers.items()})

    def _resubmittable(self) -> bool:
        return self.handles("resubmit") and not self._resubmit_sent and bool(self.failed_tasks())

    def allow_resubmit(self) -> None:
        """The resubmit failed: the button comes back."""
        self._resubmit_sent = False
        self.can_resubmit = self._resubmittable()

    def failed_tasks(self) -> list[str]:
        """Task indices (as text) of the tasks that ended other than COMPLETED, in order."""
        failed = [
            row["task"]
            for row in self._tasks.values()
            if is_terminal(row["state"]) and row["state"] != "COMPLETED"
        ]
        return sorted(failed, key=lambda task: (not task.isdigit(), len(task), task))

    def output(self, stream: str = "stdout") -> str:
        """The buffered text of one stream."""
        return self._buffers[stream].text

    @property
    def tasks(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._tasks.values()]

    # -- protocol -----------------------------------------------------------------------------
    def _snapshot(self) -> dict[str, Any]:
        return {
            "streams": {name: buf.snapshot() for name, buf in self._buffers.items()},
            "tasks": list(self._tasks.values()),
            "frames": self._frames_snapshot()[0],
        }

    def _snapshot_buffers(self) -> list[bytes]:
        return self._frames_snapshot()[1]

    def _actions_changed(self) -> None:
        self.can_cancel = self.handles("cancel") and not is_terminal(self.state)
        self.can_resubmit = self._resubmittable()

    def _on_cancel(self, _content: dict[str, Any]) -> None:
        if not self.handles("cancel") or is_terminal(self.state) or self.cancel_requested:
            return
        self.cancel_requested = True
        try:
            self._fire("cancel")
        except Exception as exc:
            self.cancel_requested = False
            self.set_message(f"Cancel failed: {exc}", "error")
            raise

    def _on_follow(self, content: dict[str, Any]) -> None:
        self._fire("follow", bool(content.get("value")))

    def _on_task(self, content: dict[str, Any]) -> None:
        jobid = content.get("jobid")
        if isinstance(jobid, str) and jobid in self._tasks and jobid != self.task_shown:
            self._fire("task", jobid, self._tasks[jobid]["task"])

    def _on_resubmit(self, _content: dict[str, Any]) -> None:
        failed = self.failed_tasks()
        if not self._resubmittable():
            return
        self._resubmit_sent = True  # one click, one new array
        self.can_resubmit = False
        self._fire("resubmit", failed)

    # -- static -------------------------------------------------------------------------------
    def _remember_for_notebook(self) -> None:
        self.last_output = {
            name: buf.tail(SUMMARY_LINES) for name, buf in self._buffers.items() if buf.tail(1)
        }
        self._remember_frame()

    def _times(self) -> list[tuple[str, str]]:
        clock = self.clock or {}
        queued, running = clock.get("queued_s"), clock.get("running_s")
        out = []
        if queued is not None:
            out.append(("queued", format_duration(queued)))
        if running is not None:
            out.append(("ran" if is_terminal(self.state) else "running", format_duration(running)))
        return out

    def summary_text(self) -> str:
        times = ", ".join(f"{k} {v}" for k, v in self._times())
        name = f" {self.name}" if self.name else ""
        ended = self.exit_code is not None and is_terminal(self.state)  # not squeue's 0:0
        exit_text = f" exit {self.exit_code}" if ended else ""
        return f"Job {self.jobid}{name} on {self.machine}: {self.state}{exit_text}" + (
            f" ({times})" if times else ""
        )

    def summary_html(self) -> str:
        head = static_html.heading(
            static_html.badge(self.state),
            static_html.strong(self.name or f"job {self.jobid}"),
            static_html.muted(f"#{self.jobid} · {self.machine}"),
        )
        nodes = ""
        if self.nodes is not None:
            nodes = f"{self.nodes}" + (f" ({self.nodelist})" if self.nodelist else "")
        ended = self.exit_code is not None and is_terminal(self.state)  # not squeue's 0:0
        exit_code = str(self.exit_code) if ended else ""
        if exit_code and self.exit_signal:
            exit_code += f" (signal {self.exit_signal})"
        facts = static_html.facts(
            [
                *self._times(),
                ("nodes", nodes),
                ("exit code", exit_code),
                ("reason", self.reason),
            ]
        )
        steps = " → ".join(
            f"{escape(step['state'])} "
            f"{escape(clock_time(step.get('time') or step.get('seen', '')))}"
            for step in self.timeline
        )
        timeline = f'<div style="margin-top:4px;opacity:.85">{steps}</div>' if steps else ""
        counts = ""
        if self.array_counts:
            badges = " ".join(static_html.badge(state, n) for state, n in self.array_counts.items())
            counts = f'<div style="margin-top:6px">tasks: {badges}</div>'
            failed = ", ".join(self.failed_tasks())
            again = f"; resubmitted as job {self.resubmitted}" if self.resubmitted else ""
            if failed:
                counts += static_html.facts([("failed tasks", failed + again)])
        output = ""
        for stream in ("stdout", "stderr"):
            lines = self._buffers[stream].tail(20) or list(self.last_output.get(stream, []))
            path = self.stdout_path if stream == "stdout" else self.stderr_path
            output += static_html.pre(lines, label=f"{stream} {path}".strip())
        message = static_html.message(self.message, self.message_level)
        cost = cost_html(self.cost)
        body = head + facts + message + cost + timeline + counts + self.frames_html() + output
        return static_html.box(body, kind="job-card")
