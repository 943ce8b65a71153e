"""``SubmitForm``: a batch script editor with its ``#SBATCH`` fields, checks and cost, then a job.

The widget only holds state. The browser sends what the user did (``script`` edited,
``field`` changed, ``machine`` chosen, ``submit``, ``view``) and the notebook layer
(:mod:`sfapi_jupyter.notebook.submit_form`) answers by setting the traits: the script and
the fields stay in step because the kernel rewrites one from the other.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import traitlets as t
from ipywidgets import widget_serialization

from . import _html
from ._base import SfWidget
from ._static import css, esm
from .job_card import JobCard

#: The form's fields and the ``#SBATCH`` option (long name) each one edits.
FIELDS = {
    "job_name": "job-name",
    "account": "account",
    "qos": "qos",
    "constraint": "constraint",
    "nodes": "nodes",
    "time": "time",
}
LEVELS = ("info", "success", "warning", "error")

Handler = Callable[[dict[str, Any]], None]


class SubmitForm(SfWidget):
    """A script editor whose fields (machine, account, QOS, constraint, nodes, time, job name)
    follow its ``#SBATCH`` lines; checks, warnings and the job's cost are shown before submit.

    Examples
    --------
    >>> form = SubmitForm(script="#!/bin/bash\\n#SBATCH -N 2\\nsrun hostname\\n")
    >>> form.machine
    'perlmutter'
    """

    _esm = esm("submit_form")
    _css = css("submit_form")

    script = t.Unicode("").tag(sync=True)
    """The batch script's text, as the editor shows it."""
    machine = t.Unicode("perlmutter").tag(sync=True)
    machines = t.List(t.Unicode(), ["perlmutter", "dtns", "dtn01"]).tag(sync=True)
    job_name = t.Unicode("").tag(sync=True)
    account = t.Unicode("").tag(sync=True)
    qos = t.Unicode("").tag(sync=True)
    constraint = t.Unicode("").tag(sync=True)
    nodes = t.Unicode("").tag(sync=True)
    time = t.Unicode("").tag(sync=True)
    """Each field as written in the script (``""``: not given, Slurm's default)."""
    accounts = t.List(t.Dict()).tag(sync=True)
    """The user's projects: ``[{"name", "description", "cpu_left", "gpu_left"}]``."""
    default_account = t.Unicode("").tag(sync=True)
    """The project charged when the script gives no ``-A``."""
    qos_names = t.List(t.Unicode()).tag(sync=True)
    issues = t.List(t.Dict()).tag(sync=True)
    """The script checks: ``[{"line", "severity", "message"}]``."""
    warnings = t.List(t.Unicode()).tag(sync=True)
    """Machine status, outages in the walltime, allocation: each one line."""
    cost = t.Dict().tag(sync=True)
    """``{"node_hours", "kind", "project", "left", "assumed_time", "over"}``."""
    blocked = t.Unicode("").tag(sync=True)
    """Why this client cannot submit at all (e.g. a green client); ``""`` when it can."""
    busy = t.Unicode("").tag(sync=True)
    """What the kernel is doing for the form (``"checking"``, ``"submitting"``), or ``""``."""
    message = t.Unicode("").tag(sync=True)
    message_level = t.Unicode("info").tag(sync=True)
    view = t.Unicode("form").tag(sync=True)
    """``"form"`` or ``"job"`` (the card of the last job submitted)."""
    card = t.Instance(JobCard, allow_none=True).tag(sync=True, **widget_serialization)
    """The ``JobCard`` of the last job submitted from this form."""
    submitted = t.List(t.Dict()).tag(sync=True)
    """Jobs submitted from this form: ``[{"jobid", "machine", "name"}]``, oldest first."""

    def __init__(self, *, script: str = "", machine: str = "perlmutter", **traits: Any) -> None:
        super().__init__(script=script, machine=machine, **traits)
        self._callbacks: dict[str, list[Handler]] = {}
        for kind in ("script", "field", "machine", "submit", "view"):
            self._handle(kind, self._relay)

    # -- what the user did --------------------------------------------------------------------
    def on_action(self, kind: str, callback: Handler) -> None:
        """Call ``callback(content)`` for the browser's ``kind`` messages (``script``, ``field``,
        ``machine``, ``submit``, ``view``)."""
        self._callbacks.setdefault(kind, []).append(callback)

    def _relay(self, content: dict[str, Any]) -> None:
        kind = str(content.get("type"))
        if kind == "view" and content.get("value") in ("form", "job"):
            self.view = str(content["value"])
        for callback in list(self._callbacks.get(kind, [])):
            callback(content)

    # -- feeding --------------------------------------------------------------------------------
    def set_message(self, text: str, level: str = "info") -> None:
        """Show a note above the submit button; ``""`` clears it."""
        if level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
        with self.hold_sync():
            self.message = text
            self.message_level = level

    def show_job(self, card: JobCard, jobid: str, name: str = "") -> None:
        """The form turns into ``card``; its script stays for the next submit."""
        with self.hold_sync():
            self.card = card
            self.submitted = [*self.submitted, {"jobid": jobid, "machine": self.machine,
                                                "name": name}]  # fmt: skip
            self.view = "job"

    @property
    def errors(self) -> list[str]:
        return [_issue_text(i) for i in self.issues if i.get("severity") == "error"]

    @property
    def can_submit(self) -> bool:
        return not self.blocked and not self.errors and not self.busy and bool(self.script.strip())

    # -- static -------------------------------------------------------------------------------
    def _remember_for_notebook(self) -> None:
        if self.card is not None:
            self.card._remember_for_notebook()

    def summary_text(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)}" for k in FIELDS if getattr(self, k))
        jobs = ", ".join(s["jobid"] for s in self.submitted)
        return f"SubmitForm on {self.machine} ({fields})" + (f": submitted {jobs}" if jobs else "")

    def summary_html(self) -> str:
        head = _html.heading(
            _html.strong("Batch job"), _html.muted(f"on {self.machine}"),
            _html.muted(f"· submitted {', '.join(s['jobid'] for s in self.submitted)}")
            if self.submitted else "",
        )  # fmt: skip
        facts = _html.facts([(k.replace("_", " "), getattr(self, k)) for k in FIELDS])
        notes = "".join(_html.message(_issue_text(i), i.get("severity", "info"))
                        for i in self.issues)  # fmt: skip
        notes += "".join(_html.message(w, "warning") for w in self.warnings)
        if self.blocked:
            notes += _html.message(self.blocked, "error")
        cost = self.cost or {}
        if cost.get("node_hours") is not None:
            notes += f'<div style="margin-top:6px">{escape(cost_text(cost))}</div>'
        body = _html.pre(self.script.rstrip("\n").split("\n"), label="script")
        card = ""
        if self.card is not None:
            card = f'<div style="margin-top:8px">{self.card.summary_html()}</div>'
        return _html.box(head + facts + notes + body + card, kind="submit-form")


def _issue_text(issue: dict[str, Any]) -> str:
    where = f"line {issue['line']}: " if issue.get("line") is not None else ""
    return f"{where}{issue.get('message', '')}"


def cost_text(cost: dict[str, Any]) -> str:
    """``"2 CPU node-hours; m1234 has 48,765.5 left"``, as the form says it."""
    hours = cost.get("node_hours")
    if hours is None:
        return ""
    text = f"{hours:,.4g} {cost.get('kind', 'CPU')} node-hour" + ("" if hours == 1 else "s")
    if cost.get("assumed_time"):
        text += " (no --time: counted at 48 h)"
    if cost.get("project") and cost.get("left") is not None:
        text += f"; {cost['project']} has {cost['left']:,.1f} left"
    return text
