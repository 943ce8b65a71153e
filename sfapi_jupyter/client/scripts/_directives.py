"""Reading ``#SBATCH`` lines the way sbatch does, with every problem as a ScriptIssue."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shlex
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass, field

# NERSC's QOS names and (below) what a script asks for, again in facility/sbatch.py: the
# client may not import the facility, which a user of NERSC does not have, and the facility
# stands alone. tests/client/test_scripts.py checks that the two lists of names agree.
QOS_NAMES = (
    "regular",
    "debug",
    "shared",
    "premium",
    "preempt",
    "overrun",
    "interactive",
    "realtime",
)
TIME_FORMATS = "MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS (e.g. 30, 01:30:00, 2-00:00:00)"
POLICY = 'NERSC refuses it with "Job request does not match any supported policy"'


# sbatch's options (Slurm 23-24, and NERSC's shifter plugin: --image --module --volume) as
# ``[letter:]long-name``; "!" takes no value, "?" takes one only as ``--name=value``.
_OPTIONS = (
    "A:account acctg-freq a:array batch bb bbf b:begin D:chdir cluster-constraint M:clusters "
    "comment C:constraint container container-id contiguous! S:core-spec cores-per-socket "
    "cpu-freq cpus-per-gpu c:cpus-per-task deadline delay-boot d:dependency m:distribution "
    "e:error x:exclude exclusive? export export-file extra B:extra-node-info get-user-env? gid "
    "gpu-bind gpu-freq G:gpus gpus-per-node gpus-per-socket gpus-per-task gres gres-flags "
    "h:help! hint H:hold! ignore-pbs! image i:input J:job-name kill-on-invalid-dep L:licenses "
    "mail-type mail-user mcs-label mem mem-bind mem-per-cpu mem-per-gpu mincpus module network "
    "nice? k:no-kill? no-requeue! F:nodefile w:nodelist N:nodes n:ntasks ntasks-per-core "
    "ntasks-per-gpu ntasks-per-node ntasks-per-socket open-mode o:output O:overcommit! "
    "s:oversubscribe! parsable! p:partition power prefer priority profile propagate? q:qos "
    "Q:quiet! reboot! requeue! reservation signal sockets-per-node spread-job! switches "
    "test-only! thread-spec threads-per-core t:time time-min tmp tres-per-task uid usage! "
    "use-min-nodes! v:verbose! V:version! volume W:wait! wait-all-nodes wckey wrap"
)
_KIND: dict[str, str] = {}  # long name -> "" (needs a value), "!" or "?"
_SHORT: dict[str, str] = {}
for _word in _OPTIONS.split():
    _letter, _, _name = _word.rpartition(":")
    _KIND[_name.rstrip("!?")] = _name[-1] if _name[-1] in "!?" else ""
    if _letter:
        _SHORT[_letter] = _name.rstrip("!?")
_LONG = sorted(_KIND)
_FIELDS = ("job-name", "output", "error", "account", "qos", "constraint", "array", "chdir")
_LOOKALIKE = re.compile(r"\s*#+\s*sbatch\s*-", re.IGNORECASE)
_ARRAY_PART = re.compile(r"(\d+)(?:-(\d+)(?::(\d+))?)?")


@dataclass(frozen=True)
class ScriptIssue:
    """One problem found in a script: where, how bad (``"error"``/``"warning"``), what to do.

    >>> str(ScriptIssue(5, "warning", "no -t/--time"))
    'line 5: warning: no -t/--time'
    """

    line: int | None
    severity: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.severity}: {self.message}"


@dataclass
class SbatchDirectives:
    """What a script's ``#SBATCH`` lines ask for; None means "not given" (Slurm's default).

    ``other`` holds every other option by long name (``""`` for a flag); ``lines`` maps each
    long option name given (``"job-name"``, ``"time"``, …) to the line it came from.
    """

    job_name: str | None = None
    output: str | None = None
    error: str | None = None
    time: dt.timedelta | None = None
    nodes: int | None = None
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    array: str | None = None
    chdir: str | None = None
    other: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)


# Slurm's time grammar again (facility/sbatch_values.py has it too): the client may not
# import the facility, which a user of NERSC does not have.
def parse_time(text: str) -> dt.timedelta | None:
    """A ``--time`` value in Slurm's formats (see ``TIME_FORMATS``).

    Returns
    -------
    datetime.timedelta or None
        None for ``UNLIMITED`` (and 0, which means the same).

    Raises
    ------
    ValueError
        For a value sbatch would refuse.

    Examples
    --------
    >>> parse_time("1-12"), parse_time("90")
    (datetime.timedelta(days=1, seconds=43200), datetime.timedelta(seconds=5400))
    """
    value = text.strip()
    if value.lower() in ("unlimited", "infinite"):
        return None
    if match := re.fullmatch(r"(\d+)-(\d+)(?::(\d+))?(?::(\d+))?", value):
        d, h, m, s = (int(g or 0) for g in match.groups())
    elif re.fullmatch(r"\d+(:\d+){0,2}", value):
        parts = [int(p) for p in value.split(":")]
        d, (h, m, s) = 0, (parts if len(parts) == 3 else [0, *parts, 0][:3])
    else:
        raise ValueError(value)
    total = dt.timedelta(days=d, hours=h, minutes=m, seconds=s)
    return total or None


def array_tasks(text: str) -> int | None:
    """How many tasks an ``--array`` value makes; None when sbatch would refuse it."""
    spec, percent, limit = text.partition("%")
    if percent and not (limit.isdigit() and int(limit) > 0):
        return None
    ids: set[int] = set()
    for part in spec.split(","):
        match = _ARRAY_PART.fullmatch(part)
        if not match:
            return None
        low, high = int(match[1]), int(match[2] or match[1])
        step = int(match[3] or 1)
        if high < low or step < 1:
            return None
        ids.update(range(low, high + 1, step))
    return len(ids)


def normalise(script: str) -> tuple[str, int, list[ScriptIssue]]:
    """(text as submitted, lines dropped at the top, issues about the normalisation)."""
    issues = []
    if "\r\n" in script:
        script = script.replace("\r\n", "\n")
        issues.append(ScriptIssue(None, "warning", "DOS line breaks (\\r\\n) became \\n"))
    lines = textwrap.dedent(script).split("\n")
    offset = 0
    while offset < len(lines) - 1 and not lines[offset].strip():
        offset += 1
    lines = lines[offset:]
    if lines[0].lstrip().startswith("#!"):  # f"""#!/bin/bash\n    #SBATCH ...""": indented rest
        lines = [lines[0].lstrip(), *textwrap.dedent("\n".join(lines[1:])).split("\n")]
    text = "\n".join(lines)
    return (text if text.endswith("\n") else text + "\n"), offset, issues


def _long_name(name: str) -> str:
    """getopt_long's rule: the exact name, else a unique prefix; ValueError explains."""
    if name in _LONG:
        return name
    matches = [n for n in _LONG if n.startswith(name)] if name else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ValueError(f"'--{name}' is ambiguous: it could be --{', --'.join(matches)}")
    close = difflib.get_close_matches(name, _LONG, n=1, cutoff=0.6)
    hint = f"did you mean --{close[0]}?" if close else "see `sbatch --help`"
    raise ValueError(f"unknown #SBATCH option '--{name}': {hint}")


def _options(argv: list[str]) -> Iterable[tuple[str, str]]:
    """(long option name, value) for one ``#SBATCH`` line; ValueError for what sbatch refuses."""
    argv = list(argv)
    while argv:
        token = argv.pop(0)
        if token.startswith("--") and len(token) > 2:
            raw, eq, value = token[2:].partition("=")
            name = _long_name(raw)
            if _KIND[name] == "!" and eq:
                raise ValueError(f"--{name} takes no value")
            if not eq and not _KIND[name]:
                if not argv:
                    raise ValueError(f"--{name} needs a value")
                value = argv.pop(0)
        elif token.startswith("-") and len(token) > 1:
            letter = token[1]
            if letter not in _SHORT:
                other = letter.swapcase()
                hint = f" did you mean -{other} (--{_SHORT[other]})?" if other in _SHORT else ""
                known = "".join(sorted(_SHORT, key=str.lower))
                raise ValueError(
                    f"unknown #SBATCH option '-{letter}':{hint} (one-letter options: {known})"
                )
            name, value = _SHORT[letter], token[2:]
            if not _KIND[name] and not value:
                if not argv:
                    raise ValueError(f"-{letter} (--{name}) needs a value")
                value = argv.pop(0)
            elif _KIND[name] and value:
                argv.insert(0, "-" + value)  # bundled flags: -Hv
                value = ""
        else:
            raise ValueError(
                f"'{token}' is not an option; sbatch refuses it ('Invalid directive found in "
                "batch script'). Write options as --name=value or -x value"
            )
        yield name, value


def scan(text: str, offset: int) -> tuple[SbatchDirectives, list[ScriptIssue]]:
    """Read the directives of a normalised script; every problem becomes an issue."""
    found = SbatchDirectives()
    issues: list[ScriptIssue] = []
    lines = text.split("\n")
    start = 1 if lines[0].startswith("#!") else 0
    first_command: int | None = None
    for index, line in enumerate(lines[start:], start=start + 1):
        number = index + offset
        stripped = line.strip()
        is_directive = line.startswith("#SBATCH") and line[7:8] in ("", " ", "\t")
        if first_command is not None:
            if is_directive:
                msg = (
                    f"#SBATCH after the first command (line {first_command}) is silently ignored "
                    "by Slurm: move it above every command"
                )
                issues.append(ScriptIssue(number, "warning", msg))
            continue
        if stripped and not stripped.startswith("#"):
            first_command = number
            continue
        if not is_directive:
            if _LOOKALIKE.match(line):
                msg = (
                    f"'{stripped[:30]}' is ignored by sbatch (a comment, not a directive); if it "
                    "is meant to count, write '#SBATCH' at the very start of the line"
                )
                issues.append(ScriptIssue(number, "warning", msg))
            continue
        try:
            argv = shlex.split(line[7:], comments=True)
        except ValueError:
            argv = line[7:].split()
        try:
            for name, value in _options(argv):
                _record(found, name, value, number, issues)
        except ValueError as exc:
            issues.append(ScriptIssue(number, "error", str(exc)))
    return found, issues


def _record(
    found: SbatchDirectives, name: str, value: str, number: int, issues: list[ScriptIssue]
) -> None:
    found.lines[name] = number
    if name == "time":
        try:
            found.time = parse_time(value)
        except ValueError:
            msg = f"invalid --time '{value}': use {TIME_FORMATS}"
            issues.append(ScriptIssue(number, "error", msg))
    elif name == "nodes":
        match = re.fullmatch(r"(\d+)(?:-\d+)?", value)
        if match and int(match[1]) > 0:
            found.nodes = int(match[1])
        else:
            msg = f"invalid --nodes '{value}': use a count (2) or a range (2-4)"
            issues.append(ScriptIssue(number, "error", msg))
    elif name in _FIELDS:
        setattr(found, name.replace("-", "_"), value)
        if name == "qos" and value not in QOS_NAMES:
            close = difflib.get_close_matches(value, QOS_NAMES, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            msg = f"-q/--qos '{value}' is not a NERSC QOS; {hint}NERSC's: {', '.join(QOS_NAMES)}"
            issues.append(ScriptIssue(number, "warning", msg))
        if name == "array" and array_tasks(value) is None:
            msg = (
                f"invalid --array '{value}': use ids (1,3,5), ranges (0-9), steps (0-15:4), "
                "optionally with a %N limit (0-99%10); sbatch will refuse it"
            )
            issues.append(ScriptIssue(number, "warning", msg))
    else:
        found.other[name] = value


def parse_directives(script: str) -> SbatchDirectives:
    """The ``#SBATCH`` options of ``script`` as sbatch reads them.

    Only lines before the first command count, and a later option overrides an earlier one,
    as in sbatch. The script is normalised first, as :func:`prepare_script` does.

    Parameters
    ----------
    script
        The batch script's text (indented or not).

    Returns
    -------
    SbatchDirectives
        Never raises: a value sbatch would refuse is left as None (:func:`check_script`
        says why).

    Examples
    --------
    >>> d = parse_directives("#!/bin/bash\\n#SBATCH -J sim --time=1:00:00\\nsrun sim")
    >>> d.job_name, d.time, d.lines["time"]
    ('sim', datetime.timedelta(seconds=3600), 2)
    """
    text, offset, _ = normalise(script)
    return scan(text, offset)[0]
