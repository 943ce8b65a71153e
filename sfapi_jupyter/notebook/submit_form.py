"""The submit form: a ``SubmitForm`` kept in step with its script, checked, costed, submitted.

:func:`submit_form` is what ``%sfsubmit`` shows. The kernel owns the rules: a field changed
in the browser becomes an edit of the script's ``#SBATCH`` lines
(:func:`~sfapi_jupyter.client.scripts._rewrite.set_directive`), and an edited script is read
again with :func:`~sfapi_jupyter.client.scripts.parse_directives` to fill the fields. The
checks of :func:`~sfapi_jupyter.client.scripts.check_script`, the machine's status and
outages (:func:`.submit.machine_warnings`) and the node-hours against the project's balance
(:func:`~sfapi_jupyter.client.scripts.allocation_check`) are shown before submit; a submit
goes through :func:`.submit.submit_job` and the form shows the job's live ``JobCard``.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

from ..client import BadScriptError, Client, JobState, SfApiError
from ..client.models import ApiClient, Project
from ..client.scripts import (
    QOS_NAMES,
    allocation_check,
    check_script,
    node_hours,
    parse_directives,
)
from ..client.scripts._rewrite import directive_values, set_directive
from ..widgets import SubmitForm
from ..widgets.submit_form import FIELDS
from ._common import resolve_machine
from .controllers import Controller
from .submit import ASSUMED_WALLTIME, charged_project, machine_warnings, submit_job

#: What a new form starts with when no script is given (NERSC's documented short options).
TEMPLATE = """#!/bin/bash
#SBATCH -J my-job
#SBATCH -C cpu
#SBATCH -q debug
#SBATCH -N 1
#SBATCH -t 00:10:00

# The job's commands (start parallel programs with srun, e.g. srun ./my_program).
echo "job $SLURM_JOB_ID on $(hostname)"
"""

NO_CLIENT = (
    "This notebook has no API client, so it cannot submit jobs: put a key in "
    "~/.superfacility/ (or set SFAPI_CLIENT_ID and SFAPI_KEY) and run %sfsubmit again."
)
READ_ONLY = (
    "This API client ({level}) may only read: NERSC lets only red clients submit jobs. "
    "Create a red client in Iris (for the local facility: `sfapi-jupyter facility client "
    "create --level red`), use its key, and run %sfsubmit again."
)
_STATES = {state.value for state in JobState}
_LEVEL = re.compile(r"\b(red|orange|yellow|green|white)\b", re.IGNORECASE)


def client_level(entry: ApiClient) -> str | None:
    """The security level (``"red"``, ``"green"``…) of one of ``client.clients()``, if said."""
    extra = entry.model_extra or {}
    for key in ("level", "securityLevel", "security_level", "color", "colour"):
        if isinstance(extra.get(key), str):
            return str(extra[key]).lower()
    for text in (entry.comments or "", entry.name):
        if match := _LEVEL.search(text):
            return match[1].lower()
    return None


async def why_blocked(client: Client) -> str:
    """Why this client cannot submit at all (``""`` if it can, or if that cannot be told)."""
    aio = client.aio
    if not aio.authenticated:
        return NO_CLIENT
    if aio.credentials is None:  # a token from elsewhere: its level is not known
        return ""
    try:
        entries = await aio.clients()
    except SfApiError:
        return ""
    for entry in entries:
        if entry.client_id == aio.credentials.client_id:
            level = client_level(entry)
            return READ_ONLY.format(level=level) if level and level != "red" else ""
    return ""


class FormSession(Controller[SubmitForm]):
    """The kernel side of one form: its client, the user's projects, the machine's notices."""

    def __init__(self, client: Client, form: SubmitForm) -> None:
        super().__init__(client, form)
        self.projects: list[Project] = []
        self.machine_notices: list[str] = []
        self._notices_key: tuple[str, float] | None = None
        self.job: Any = None
        self.answer("script", self._on_script)
        self.answer("field", self._on_field)
        self.answer("machine", self._on_machine)
        self.answer("submit", self._on_submit)

    # -- reading the script -------------------------------------------------------------------
    def refresh(self) -> None:
        """Fields, checks, cost and warnings from the script as it is now."""
        form = self.widget
        if form is None:
            return
        script, machine = form.script, form.machine
        values = directive_values(script)
        directives = parse_directives(script)
        issues = check_script(script, machine)
        project = charged_project(self.projects, directives.account)
        cost: dict[str, Any] = {}
        allocation: list[str] = []
        if not any(i.severity == "error" for i in issues):
            gpu = "gpu" in (directives.constraint or "")
            cost = {
                "node_hours": round(node_hours(directives, ASSUMED_WALLTIME), 4),
                "kind": "GPU" if gpu else "CPU",
                "assumed_time": directives.time is None,
                "project": project.repo_name if project else (directives.account or ""),
                "left": None,
                "over": False,
            }
            if project is not None:
                left = project.gpu_hours_remaining if gpu else project.cpu_hours_remaining
                cost["left"] = left if left is not None else project.hours_remaining
                issue = allocation_check(directives, project, ASSUMED_WALLTIME)
                if issue is not None:
                    cost["over"] = True
                    allocation.append(issue.message)
            elif directives.account and self.projects:
                mine = ", ".join(p.repo_name for p in self.projects)
                allocation.append(
                    f"you are not in project {directives.account}: sbatch will refuse the job "
                    f'("Invalid account"); your projects: {mine}'
                )
        with form.hold_sync():
            for field, option in FIELDS.items():
                setattr(form, field, values.get(option, ""))
            form.issues = [
                {"line": i.line, "severity": i.severity, "message": i.message} for i in issues
            ]
            form.cost = cost
            form.warnings = [*self.machine_notices, *allocation]
        walltime = directives.time or ASSUMED_WALLTIME
        key = (machine, walltime.total_seconds())
        if key != self._notices_key:
            self._notices_key = key
            self._ask_machine(machine, walltime, directives.time is None)

    def _ask_machine(self, machine: str, walltime: Any, assumed: bool) -> None:
        form = self.widget
        if form is None:
            return
        form.busy = "checking"
        key = self._notices_key

        def done(result: Any) -> None:
            form = self.widget
            if form is None or key != self._notices_key:
                return
            form.busy = ""
            self.machine_notices = [] if isinstance(result, BaseException) else list(result)
            self.refresh()

        self.run_soon(machine_warnings(self.client, machine, walltime, assumed), done)

    def load(self) -> None:
        """Ask once, in the background, for the user's projects and the client's level."""

        def got_projects(result: Any) -> None:
            form = self.widget
            if form is None or isinstance(result, BaseException):
                return
            self.projects = list(result)
            form.accounts = [
                {
                    "name": p.repo_name,
                    "description": p.description,
                    "cpu_left": p.cpu_hours_remaining,
                    "gpu_left": p.gpu_hours_remaining,
                }
                for p in self.projects
            ]
            form.default_account = self.projects[0].repo_name if self.projects else ""
            self.refresh()

        def got_level(result: Any) -> None:
            form = self.widget
            if form is not None and isinstance(result, str):
                form.blocked = result

        self.run_soon(why_blocked(self.client), got_level)
        if self.client.aio.authenticated:
            self.run_soon(self.client.aio.projects(), got_projects)

    # -- what the user did ----------------------------------------------------------------------
    def _on_script(self, content: dict[str, Any]) -> None:
        form = self.widget
        if form is not None and isinstance(content.get("value"), str):
            form.script = content["value"]
            self.refresh()

    def _on_field(self, content: dict[str, Any]) -> None:
        form = self.widget
        option = FIELDS.get(str(content.get("name")))
        if form is None or option is None:
            return
        form.script = set_directive(form.script, option, str(content.get("value") or ""))
        self.refresh()

    def _on_machine(self, content: dict[str, Any]) -> None:
        form = self.widget
        value = str(content.get("value") or "")
        if form is not None and value in form.machines:
            form.machine = value
            self.refresh()

    def _on_submit(self, _content: dict[str, Any]) -> None:
        form = self.widget
        if form is None or form.busy == "submitting":
            return
        if form.blocked:
            form.set_message(form.blocked, "error")
            return
        if form.errors:
            form.set_message(
                "Fix the errors in the script first: " + "; ".join(form.errors), "error"
            )
            return
        form.busy = "submitting"
        form.set_message(f"Submitting to {form.machine}…", "info")
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the form shows these itself
                job, card = submit_job(form.script, form.machine, client=self.client)
        except (BadScriptError, SfApiError) as exc:
            form.set_message(f"Submit failed: {exc.message}", "error")
            return
        finally:
            form.busy = ""
        self.job = job
        form.show_job(card, job.jobid, job.name or form.job_name)
        form.set_message(f"Submitted job {job.jobid} to {form.machine}.", "success")
        card.observe(self._card_state, names="state")
        self.save_summary()

    def _card_state(self, change: dict[str, Any]) -> None:
        if change["new"] in _STATES and JobState(change["new"]).is_terminal:
            self.save_summary()

    def save_summary(self) -> None:
        """The form's static summary, into its output, once it shows a job.

        Not while the form is being edited: the output is drawn again when it is replaced.
        """
        form = self.widget
        if form is not None and form.display_id and form.view == "job":
            super().save_summary()


def submit_form(
    script: str | None = None,
    machine: str | None = None,
    *,
    path: str | Path | None = None,
    client: Client | None = None,
) -> SubmitForm:
    """A form to edit, check and submit a batch script; it turns into the job's card.

    Parameters
    ----------
    script
        The script to start from (default: the file at ``path``, else a small template).
    machine
        The machine (default :func:`~sfapi_jupyter.notebook.session.default_machine`).
    path
        A local file to read the script from (relative to the kernel's working directory).
    client
        The client (default :func:`~sfapi_jupyter.notebook.session.get_client`).

    Returns
    -------
    SubmitForm
        ``form.script`` is the script as edited; ``form.card`` the last job's ``JobCard``.

    Raises
    ------
    ValueError
        ``path`` cannot be read.

    Examples
    --------
    >>> form = submit_form(path="recon.sbatch", machine="perlmutter")   # doctest: +SKIP
    """
    if script is None and path is not None:
        file = Path(path).expanduser()
        try:
            script = file.read_text()
        except FileNotFoundError:
            raise ValueError(
                f"No such file: {file} (the path is on this computer, relative to {Path.cwd()})"
            ) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"Cannot read {file}: {exc}") from None
    client, handle = resolve_machine(client, machine)
    machines = ["perlmutter", "dtns", "dtn01"]
    if handle.name not in machines:
        machines.append(handle.name)
    form = SubmitForm(
        script=script if script is not None else TEMPLATE,
        machine=handle.name,
        machines=machines,
        qos_names=list(QOS_NAMES),
    )
    session = FormSession(client, form).start()
    session.refresh()
    session.load()
    return form


__all__ = ["TEMPLATE", "FormSession", "client_level", "submit_form", "why_blocked"]
