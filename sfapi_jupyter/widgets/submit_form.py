"""``SubmitForm``: a batch script editor with its ``#SBATCH`` fields, checks and cost, then a job.

The widget only holds state. The browser sends what the user did (``script`` edited,
``field`` changed, ``machine`` chosen, ``submit``, ``view``) and the notebook layer
(:mod:`sfapi_jupyter.notebook.submit_form`) answers by setting the traits: the script and
the fields stay in step because the kernel rewrites one from the other.
"""

from __future__ import annotations

from html import escape
from typing import Any

import traitlets as t
from ipywidgets import widget_serialization

from ._base import MessageMixin, SfWidget
from ._static import css, esm
from .job_card import JobCard
from .support import static_html

#: The form's fields and the ``#SBATCH`` option (long name) each one edits.
FIELDS = {
    "job_name": "job-name",
    "account": "account",
    "qos": "qos",
    "constraint": "constraint",
    "nodes": "nodes",
    "time": "time",
}


class SubmitForm(MessageMixin, SfWidget):
    """A script editor whose fields (machine, account, QOS, constraint, nodes, time, job name)
    follow its ``#SBATCH`` lines; checks, warnings and the job's cost are shown before submit.

    Examples
    --------
    >>> form = SubmitForm(script="#!/bin/bash\\n#SBATCH -N 2\\nsrun hostname\\n")
    >>> form.machine
    'perlmutter'
    """

    #: Each callback is called with the view's message (a dict with ``type`` and ``value``).
    actions = {
        "script": "callback(message) when the user edited the script (message['value'])",
        "field": "callback(message) when the user changed field message['name']",
        "machine": "callback(message) when the user chose machine message['value']",
        "submit": "callback(message) when the user pressed submit",
        "view": "callback(message) when the user switched to the form or the job",
    }

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
    view = t.Unicode("form").tag(sync=True)
    """``"form"`` or ``"job"`` (the card of the last job submitted)."""
    card = t.Instance(JobCard, allow_none=True).tag(sync=True, **widget_serialization)
    """The ``JobCard`` of the last job submitted from this form."""
    submitted = t.List(t.Dict()).tag(sync=True)
    """Jobs submitted from this form: ``[{"jobid", "machine", "name"}]``, oldest first."""

    def __init__(self, *, script: str = "", machine: str = "perlmutter", **traits: Any) -> None:
        super().__init__(script=script, machine=machine, **traits)
        self._handle("view", self._on_view)

    # -- what the user did --------------------------------------------------------------------
    def _on_view(self, content: dict[str, Any]) -> None:
        if content.get("value") in ("form", "job"):
            self.view = str(content["value"])
        self._fire("view", content)

    # -- feeding --------------------------------------------------------------------------------
    def show_job(self, card: JobCard, jobid: str, name: str = "") -> None:
        """The form turns into ``card``; its script stays for the next submit."""
        with self.hold_sync():
            self.card = card
            self.submitted = [
                *self.submitted,
                {"jobid": jobid, "machine": self.machine, "name": name},
            ]
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
        jobs = ", ".join(s["jobid"] for s in self.submitted)
        head = static_html.heading(
            static_html.strong("Batch job"),
            static_html.muted(f"on {self.machine}"),
            static_html.muted(f"· submitted {jobs}") if self.submitted else "",
        )
        facts = static_html.facts([(k.replace("_", " "), getattr(self, k)) for k in FIELDS])
        notes = "".join(
            static_html.message(_issue_text(i), i.get("severity", "info")) for i in self.issues
        )
        notes += "".join(static_html.message(w, "warning") for w in self.warnings)
        if self.blocked:
            notes += static_html.message(self.blocked, "error")
        cost = self.cost or {}
        if cost.get("node_hours") is not None:
            notes += f'<div style="margin-top:6px">{escape(cost_text(cost))}</div>'
        body = static_html.pre(self.script.rstrip("\n").split("\n"), label="script")
        card = ""
        if self.card is not None:
            card = f'<div style="margin-top:8px">{self.card.summary_html()}</div>'
        return static_html.box(head + facts + notes + body + card, kind="submit-form")


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
