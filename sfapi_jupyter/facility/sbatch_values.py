"""Slurm's value syntaxes for ``--time``, ``--array`` and ``--dependency``.

Kept apart from :mod:`sfapi_jupyter.facility.sbatch` because the local scheduler re-reads
a stored dependency string on every pass, and because each of these has its own exact
error text that users will search for.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .models import SbatchError

#: Slurm's default MaxArraySize: task ids must stay below it.
MAX_ARRAY_SIZE = 1001
#: Slurm job ids are 32-bit unsigned integers.
MAX_JOB_ID = 2**32 - 1
DEPENDENCY_KINDS = ("after", "afterany", "afterok", "afternotok")


@dataclass(frozen=True)
class Dependency:
    """One ``kind:jobid`` term of ``--dependency``; an array's job id means all its tasks."""

    kind: str
    jobid: int


@dataclass(frozen=True)
class ArraySpec:
    """``--array``: the task ids in order, and the ``%N`` limit of tasks running at once."""

    text: str
    task_ids: tuple[int, ...]
    throttle: int | None = None

    @property
    def step(self) -> int:
        """SLURM_ARRAY_TASK_STEP: the common stride if the ids are evenly spaced, else 1."""
        ids = self.task_ids
        strides = {b - a for a, b in itertools.pairwise(ids)}
        return strides.pop() if len(strides) == 1 else 1


def whole(digits: str) -> int:
    """``int(digits)`` for a run of ASCII digits; past 18 digits, 10**18 (Slurm reads every
    such number into 64 bits at most, and Python refuses to convert over 4300 digits)."""
    return int(digits) if len(digits) <= 18 else 10**18


# Slurm's time grammar again (client/scripts/_directives.py has it too): the facility stands
# alone, as NERSC's does, and answers with sbatch's own words.
def parse_time(text: str) -> int | None:
    """Slurm's time formats in seconds; None for UNLIMITED (and 0, which means the same).

    Raises SbatchError with sbatch's message for anything else.
    """
    value = text.strip()
    if value.lower() in ("unlimited", "infinite"):
        return None
    days = 0
    match = re.fullmatch(r"(\d+)-(\d+)(?::(\d+))?(?::(\d+))?", value)
    if match:
        days, hours = whole(match[1]), whole(match[2])
        minutes, seconds = whole(match[3] or "0"), whole(match[4] or "0")
    elif re.fullmatch(r"\d+(:\d+){0,2}", value):
        parts = [whole(p) for p in value.split(":")]
        if len(parts) == 3:
            hours, minutes, seconds = parts
        else:
            hours, minutes, seconds = 0, parts[0], parts[1] if len(parts) == 2 else 0
    else:
        raise SbatchError("sbatch: error: Invalid --time specification")
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    return total or None


def parse_array(text: str) -> ArraySpec:
    """``0-9``, ``1,3,5``, ``0-15:4``, each with an optional ``%N`` throttle."""
    bad = SbatchError("sbatch: error: Invalid --array specification")
    spec, percent, limit = text.partition("%")
    throttle = None
    if percent:
        if not limit.isascii() or not limit.isdigit() or whole(limit) < 1:
            raise bad
        throttle = whole(limit)
    ids: set[int] = set()
    for part in spec.split(","):
        match = re.fullmatch(r"(\d+)(?:-(\d+)(?::(\d+))?)?", part)
        if not match:
            raise bad
        low = whole(match[1])
        high = whole(match[2]) if match[2] is not None else low
        step = whole(match[3]) if match[3] is not None else 1
        if high < low or step < 1:
            raise bad
        if high >= MAX_ARRAY_SIZE:  # before building the range: 0-10**12 must not hang
            ids.add(high)
            break
        ids.update(range(low, high + 1, step))
    if max(ids) >= MAX_ARRAY_SIZE:
        raise SbatchError(
            "sbatch: error: Batch job submission failed: Invalid job array specification"
        )
    return ArraySpec(text, tuple(sorted(ids)), throttle)


def parse_dependency(text: str) -> tuple[tuple[Dependency, ...], bool]:
    """``afterok:1:2,afterany:3`` (all needed) or ``afterok:1?afterok:2`` (any one)."""
    problem = SbatchError("sbatch: error: Batch job submission failed: Job dependency problem")
    any_of = "?" in text
    if any_of and "," in text:
        raise problem
    deps: list[Dependency] = []
    for term in text.split("?" if any_of else ","):
        kind, _, ids = term.partition(":")
        if kind not in DEPENDENCY_KINDS or not ids:
            raise problem
        for jobid in ids.split(":"):
            # ``after:123+10`` delays the start by minutes; the local facility ignores it.
            match = re.fullmatch(r"(\d+)(?:\+\d+)?", jobid)
            if not match or whole(match[1]) > MAX_JOB_ID:
                raise problem
            deps.append(Dependency(kind, whole(match[1])))
    return tuple(deps), any_of
