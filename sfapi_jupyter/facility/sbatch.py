"""Batch scripts as sbatch reads them, shared by the ``local`` and ``slurm`` backends.

Users learn Slurm from its error messages, so every refusal here is sbatch's own text
(the routes show it verbatim). Parsing follows sbatch: ``#SBATCH`` lines count only
before the first command line, each line is read like getopt_long reads a command line
(``--opt=value``, ``--opt value``, ``-o value``, ``-ovalue``, unique long prefixes), and
later options override earlier ones. :func:`check_policy` adds NERSC's submit-time rules,
which both backends apply so a script that Perlmutter would refuse is refused here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .models import FacilityUser, SbatchError
from .sbatch_limits import (
    MAX_SCRIPT_BYTES,
    check_field_lengths,
    script_too_large,
    split_directive,
)
from .sbatch_options import LONG, NO, REQUIRED, SHORT
from .sbatch_values import (
    ArraySpec,
    Dependency,
    parse_array,
    parse_dependency,
    parse_time,
    whole,
)

__all__ = [
    "ArraySpec",
    "BatchOptions",
    "Dependency",
    "check_policy",
    "default_output_name",
    "expand_filename_pattern",
    "parse_array",
    "parse_batch_script",
    "parse_dependency",
    "parse_time",
]

TRY_HELP = 'Try "sbatch --help" for more information'
# NERSC's QOS names and (below) what a script asks for, again in client/scripts/_directives.py:
# the facility stands alone, as NERSC's does, and the client may not import it.
# tests/client/test_scripts.py checks that the two lists of names agree.
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
PERLMUTTER_CONSTRAINTS = ("cpu", "gpu", "gpu&hbm40g", "gpu&hbm80g")


@dataclass
class BatchOptions:
    """What one submission asked for; None means "not given" (the backend's default)."""

    job_name: str | None = None
    output: str | None = None
    error: str | None = None
    #: Wall time in seconds exactly as written (``-t 0:02`` is 2 s; Slurm rounds it up to a
    #: minute, see :attr:`time_limit_minutes`). None = not given or unlimited.
    time_seconds: int | None = None
    time_unlimited: bool = False
    nodes: int = 1
    nodes_max: int | None = None
    nodes_given: bool = False
    ntasks: int | None = None
    cpus_per_task: int | None = None
    ntasks_per_node: int | None = None
    account: str | None = None
    qos: str | None = None
    partition: str | None = None
    constraint: str | None = None
    chdir: str | None = None
    array: ArraySpec | None = None
    dependency: str = ""
    dependencies: tuple[Dependency, ...] = ()
    #: ``?``-separated dependencies: any one satisfied is enough (``,`` needs all).
    dependency_any: bool = False
    mem: str | None = None
    mem_per_cpu: str | None = None
    gpus: str | None = None
    gpus_per_node: str | None = None
    gpus_per_task: str | None = None
    exclusive: bool = False
    mail_type: str | None = None
    mail_user: str | None = None
    licenses: str | None = None
    open_mode: str = "truncate"
    signal: str | None = None
    comment: str = ""
    export: str | None = None
    requeue: bool | None = None
    core_spec: int | None = None
    begin: str | None = None
    exclude: str | None = None
    nodelist: str | None = None
    image: str | None = None
    module: str | None = None
    #: Accepted options that a local facility cannot model, by long name.
    other: dict[str, str] = field(default_factory=dict)

    @property
    def time_limit_minutes(self) -> int | None:
        """The limit as Slurm stores it: whole minutes, rounded up."""
        if self.time_seconds is None:
            return None
        return max(1, -(-self.time_seconds // 60))

    @property
    def cpus(self) -> int:
        tasks = self.ntasks or self.nodes * (self.ntasks_per_node or 1)
        return max(tasks * (self.cpus_per_task or 1), self.nodes)


def _int(value: str, what: str, *, positive: bool = True) -> int:
    if not value.isdigit() or (positive and whole(value) == 0):
        raise SbatchError(f'sbatch: error: Invalid numeric value "{value}" for {what}.')
    return whole(value)


def _apply(opts: BatchOptions, key: str, name: str, value: str | None) -> None:
    """Store one option's value, validating it as sbatch does."""
    text = value or ""
    if key.startswith("x:"):
        opts.other[key[2:]] = text
    elif key == "time":
        opts.time_seconds = parse_time(text)
        opts.time_unlimited = opts.time_seconds is None
    elif key == "nodes":
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", text)
        if not match or whole(match[1]) < 1 or (match[2] and whole(match[2]) < whole(match[1])):
            raise SbatchError(f"sbatch: error: invalid node count `{text}'")
        opts.nodes, opts.nodes_given = whole(match[1]), True
        opts.nodes_max = whole(match[2]) if match[2] else None
    elif key in ("ntasks", "cpus_per_task", "ntasks_per_node"):
        setattr(opts, key, _int(text, f"--{name}"))
    elif key == "core_spec":
        opts.core_spec = _int(text, "--core-spec", positive=False)
    elif key in ("mem", "mem_per_cpu"):
        if not re.fullmatch(r"\d+[KMGTkmgt]?[Bb]?", text):
            raise SbatchError(f"sbatch: error: Invalid --{name} specification")
        setattr(opts, key, text)
    elif key == "array":
        opts.array = parse_array(text)
    elif key == "dependency":
        opts.dependencies, opts.dependency_any = parse_dependency(text)
        opts.dependency = text
    elif key == "open_mode":
        if text not in ("append", "truncate", "a", "t"):
            raise SbatchError(f"sbatch: error: Invalid --open-mode argument: {text}. Ignored")
        opts.open_mode = "append" if text.startswith("a") else "truncate"
    elif key == "exclusive":
        opts.exclusive = True
    elif key in ("requeue", "no_requeue"):
        opts.requeue = key == "requeue"
    else:
        setattr(opts, key, text)


def _long_option(name: str, token: str) -> str:
    """Resolve a long option the way getopt_long does: exact name or unique prefix."""
    if name in LONG:
        return name
    matches = sorted(n for n in LONG if n.startswith(name)) if name else []
    if len(matches) == 1:
        return matches[0]
    if matches:
        choices = " ".join(f"'--{m}'" for m in matches)
        raise SbatchError(
            f"sbatch: option '--{name}' is ambiguous; possibilities: {choices}\n{TRY_HELP}"
        )
    raise SbatchError(f"sbatch: unrecognized option '{token}'\n{TRY_HELP}")


def _parse_args(opts: BatchOptions, argv: list[str], *, directive: bool) -> None:
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        value: str | None = None
        if token.startswith("--") and len(token) > 2:
            name, eq, inline = token[2:].partition("=")
            name = _long_option(name, token)
            key, kind = LONG[name]
            if kind == NO and eq:
                raise SbatchError(
                    f"sbatch: option '--{name}' doesn't allow an argument\n{TRY_HELP}"
                )
            if eq:
                value = inline
            elif kind == REQUIRED:
                if i >= len(argv):
                    raise SbatchError(f"sbatch: option '--{name}' requires an argument\n{TRY_HELP}")
                value, i = argv[i], i + 1
        elif token.startswith("-") and len(token) > 1 and token != "--":
            # getopt reads bundled flags (``-sH``) one letter at a time; the last letter
            # may take the rest of the word or the next word as its value (``-sJname``).
            for position in range(1, len(token)):
                letter = token[position]
                if letter not in SHORT:
                    raise SbatchError(f"sbatch: invalid option -- '{letter}'\n{TRY_HELP}")
                name = SHORT[letter]
                key, kind = LONG[name]
                if kind != REQUIRED:
                    _apply(opts, key, name, None)
                    continue
                if position + 1 < len(token):
                    value = token[position + 1 :]
                elif i < len(argv):
                    value, i = argv[i], i + 1
                else:
                    raise SbatchError(
                        f"sbatch: option requires an argument -- '{letter}'\n{TRY_HELP}"
                    )
                _apply(opts, key, name, value)
                break
            continue
        elif token == "--":
            continue
        else:
            if directive:
                raise SbatchError(
                    f"sbatch: error: Invalid directive found in batch script: {token}"
                )
            raise SbatchError(f"sbatch: error: unexpected argument '{token}'\n{TRY_HELP}")
        _apply(opts, key, name, value)


def _directives(script: str) -> Iterable[list[str]]:
    """The ``#SBATCH`` lines before the first command, each split like a shell would."""
    for line in script.splitlines()[1:]:
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return
        if not line.startswith("#SBATCH"):
            continue
        rest = line[len("#SBATCH") :]
        if rest and not rest[0].isspace():
            continue  # ``#SBATCHX`` is a plain comment for sbatch too
        words = split_directive(rest)
        yield rest.split() if words is None else words


def parse_batch_script(
    script: str, args: list[str] | None = None, *, max_bytes: int = MAX_SCRIPT_BYTES
) -> BatchOptions:
    """Read ``script``'s ``#SBATCH`` lines, then ``args`` (sbatch command-line options).

    ``args`` are sbatch *options* that override the script's, as on sbatch's command
    line; the script's own arguments (the API's ``args`` field) are not passed here.
    """
    if not script:
        raise SbatchError("sbatch: error: Batch script is empty!")
    # Callers check the size before reading; this keeps any other caller as bounded.
    too_large = script_too_large(len(script.encode()), max_bytes)
    if too_large is not None:
        raise too_large
    if "\0" in script:
        raise SbatchError("sbatch: error: The job script contains a NULL character!")
    if "\r\n" in script:
        raise SbatchError(
            "sbatch: error: Batch script contains DOS line breaks (\\r\\n)\n"
            "sbatch: error: instead of expected UNIX line breaks (\\n)."
        )
    if not script.startswith("#!"):
        raise SbatchError(
            "sbatch: error: This does not look like a batch script.  The first line must "
            "start with #! followed by the path to an interpreter.\n"
            "sbatch: error: For instance: #!/bin/sh"
        )
    opts = BatchOptions()
    for line_args in _directives(script):
        _parse_args(opts, line_args, directive=True)
    if args:
        _parse_args(opts, list(args), directive=False)
    check_field_lengths(opts)
    return opts


def default_output_name(is_array: bool) -> str:
    """sbatch's default output file, relative to the job's working directory."""
    return "slurm-%A_%a.out" if is_array else "slurm-%j.out"


def expand_filename_pattern(
    pattern: str,
    *,
    jobid: int,
    array_job_id: int | None = None,
    array_task_id: int | None = None,
    name: str = "",
    user: str = "",
    nodename: str | None = None,
) -> str:
    """Expand ``%j %x %A %a %u %N %n %t %%`` (with ``%4a``-style zero padding) like Slurm.

    As in Slurm, a backslash anywhere in the pattern turns expansion off (the backslashes
    are dropped), ``%A`` is the job id for a plain job and ``%a`` is 4294967294 there.
    ``nodename=None`` (not scheduled yet) leaves ``%N`` in place.
    """
    if "\\" in pattern:
        return pattern.replace("\\", "")
    values = {
        "j": str(jobid),
        "x": name,
        "A": str(array_job_id if array_job_id is not None else jobid),
        "a": str(array_task_id if array_task_id is not None else 4294967294),
        "u": user,
        "n": "0",
        "t": "0",
    }

    def replace(match: re.Match[str]) -> str:
        width, letter = match[1], match[2]
        if letter == "%":
            return "%"
        if letter == "N":
            return match[0] if nodename is None else nodename
        value = values.get(letter)
        if value is None:
            return match[0]
        # Slurm pads to at most 10 digits (``%15j`` gives 10), whatever the width asks.
        return value.zfill(min(whole(width), 10)) if width and value.isdigit() else value

    return re.sub(r"%(\d*)([%jxAauNnt])", replace, pattern)


def check_policy(
    machine: str, options: BatchOptions, user: FacilityUser, nodes_available: int
) -> None:
    """Refuse what NERSC's submit filter and Slurm's controller would refuse.

    ``nodes_available`` is the machine's node count (a request for more can never run).
    """
    failed = "sbatch: error: Batch job submission failed:"
    if machine == "perlmutter":
        if not options.constraint:
            raise SbatchError(
                "sbatch: error: No architecture specified, cannot estimate job costs.\n"
                f"{failed} Unspecified error"
            )
        if options.constraint not in PERLMUTTER_CONSTRAINTS:
            raise SbatchError(f"{failed} Invalid feature specification")
    if options.account is not None and options.account not in user.projects:
        raise SbatchError(f"{failed} Invalid account or account/partition combination specified")
    if options.qos is not None and options.qos not in QOS_NAMES:
        raise SbatchError(f"{failed} Invalid qos specification")
    if options.nodes > nodes_available:
        raise SbatchError(f"{failed} Node count specification invalid")
