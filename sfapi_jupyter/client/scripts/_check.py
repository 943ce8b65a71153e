"""The checks run before submit: errors raise, warnings are returned."""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import BadScriptError
from ._directives import POLICY, SbatchDirectives, ScriptIssue, normalise, scan


def _machine_issues(found: SbatchDirectives, machine: str | None) -> list[ScriptIssue]:
    issues = []
    if "time" not in found.lines:
        msg = (
            "no -t/--time: the job gets the partition's maximum time limit (hours to days), "
            "which makes it wait longer in the queue; add e.g. '#SBATCH -t 00:30:00'"
        )
        issues.append(ScriptIssue(None, "warning", msg))
    if machine != "perlmutter":
        return issues
    if not found.constraint:
        msg = (
            'no -C/--constraint: NERSC refuses Perlmutter jobs without one ("No architecture '
            "specified\"); add '#SBATCH -C cpu' or '#SBATCH -C gpu'"
        )
        issues.append(ScriptIssue(None, "warning", msg))
    hours = found.time.total_seconds() / 3600 if found.time else None
    line = found.lines.get("qos")
    if hours is not None and hours > 48:
        msg = f"more than 48 hours: {POLICY}"
        issues.append(ScriptIssue(found.lines.get("time"), "warning", msg))
    elif found.qos == "debug" and hours is not None and hours > 0.5:
        issues.append(ScriptIssue(line, "warning", f"debug allows 30 minutes: {POLICY}"))
    if found.qos == "shared" and (found.nodes or 1) > 1:
        issues.append(ScriptIssue(line, "warning", f"shared allows one node: {POLICY}"))
    return issues


def check_script(script: str, machine: str | None = None) -> list[ScriptIssue]:
    """Every problem with ``script``, errors and warnings alike, without raising.

    Parameters
    ----------
    script
        The batch script's text.
    machine
        The machine it is for (``"perlmutter"`` adds NERSC's rules); None skips those.

    Returns
    -------
    list of ScriptIssue
        In line order within each kind; ``severity == "error"`` for what sbatch refuses.

    Examples
    --------
    >>> for issue in check_script("#!/bin/bash\\n#SBATCH -t 10\\n# SBATCH -N 2\\nhostname"):
    ...     print(issue.line, issue.severity, issue.message.split(";")[0])
    3 warning '# SBATCH -N 2' is ignored by sbatch (a comment, not a directive)
    """
    return _check(script, machine)[2]


@dataclass(frozen=True)
class CheckedScript:
    """A batch script checked once: the text to send, its ``#SBATCH`` options, its warnings.

    :func:`checked_script` makes it; ``machine.submit(checked)`` sends it without checking
    or warning again (as httpx builds a request once and sends it), so a caller that shows
    the warnings itself and reads the options (the notebook's ``%%sfjob``) parses the
    script once.
    """

    #: The script as it will be submitted (dedented, ending with a newline).
    text: str
    #: Its ``#SBATCH`` options as sbatch reads them.
    directives: SbatchDirectives
    #: Problems sbatch would not refuse but that are most likely mistakes.
    warnings: tuple[ScriptIssue, ...]
    #: The machine whose rules it was checked against (None: no machine's rules).
    machine: str | None = None


def checked_script(script: str, machine: str | None = None) -> CheckedScript:
    """Check ``script`` once, for submitting to ``machine``; raise if sbatch would refuse it.

    Raises
    ------
    BadScriptError
        As :func:`prepare_script`: the message names each line sbatch would refuse.

    Examples
    --------
    >>> checked = checked_script("#!/bin/bash\\n#SBATCH -t 5 -J sim\\nhostname")
    >>> checked.directives.job_name, checked.warnings
    ('sim', ())
    """
    text, found, issues = _check(script, machine)
    errors = [str(i) for i in issues if i.severity == "error"]
    if errors:
        raise BadScriptError("The batch script would be refused:\n" + "\n".join(errors))
    return CheckedScript(text, found, tuple(issues), machine)


def _check(script: str, machine: str | None) -> tuple[str, SbatchDirectives, list[ScriptIssue]]:
    """(the text to send, its directives, every issue): one normalise, one scan."""
    if not script.strip():
        return "", SbatchDirectives(), [ScriptIssue(None, "error", "the batch script is empty")]
    text, offset, issues = normalise(script)
    if not text.startswith("#!"):
        msg = (
            "the first line must say which interpreter runs the script: "
            "add '#!/bin/bash' as the first line"
        )
        issues.append(ScriptIssue(1 + offset, "error", msg))
    found, more = scan(text, offset)
    return text, found, issues + more + _machine_issues(found, machine)


def prepare_script(script: str, machine: str | None = None) -> tuple[str, list[ScriptIssue]]:
    """The script as it will be submitted, and warnings about it.

    Dedents it (an indented f-string works, even with ``#!`` right after the quotes), drops
    leading blank lines and ends it with a newline.

    Parameters
    ----------
    script
        The batch script's text.
    machine
        The machine it is for (``"perlmutter"`` adds NERSC's rules); None skips those.

    Returns
    -------
    text : str
        The script to send.
    warnings : list of ScriptIssue
        Problems sbatch would not refuse but that are most likely mistakes.

    Raises
    ------
    BadScriptError
        For what sbatch would refuse: no ``#!`` line, an unknown ``#SBATCH`` option, a bad
        ``--time`` or ``--nodes``. The message names each line.

    Examples
    --------
    >>> text, warnings = prepare_script(\'\'\'
    ...     #!/bin/bash
    ...     #SBATCH -t 5
    ...     srun hostname
    ... \'\'\')
    >>> text
    '#!/bin/bash\\n#SBATCH -t 5\\nsrun hostname\\n'
    >>> warnings
    []
    """
    checked = checked_script(script, machine)
    return checked.text, list(checked.warnings)
