"""``kwargs=`` filters of ``GET /compute/jobs/{machine}``, read as squeue and sacct read theirs.

The SF API hands ``kwargs=key=value`` on to Slurm's tools; production clients send more than
job ids (OpenChemistry/distiller polls ``kwargs=user=U&kwargs=qos=realtime&sacct=true``).
Each key is one of squeue's and sacct's own filters, with their comma lists: ``jobid``
(``--jobs``), ``user``, ``qos``, ``partition``, ``state`` (``--states``, Slurm's names or
abbreviations, any case), ``name`` and ``account``. Anything else is refused with the list.
"""

from __future__ import annotations

from collections.abc import Callable

from .models import JobQuery
from .sbatch_values import MAX_JOB_ID

#: Slurm's job states as squeue and sacct accept them (``squeue -t``), by abbreviation.
JOB_STATES = {
    "PD": "PENDING",
    "R": "RUNNING",
    "S": "SUSPENDED",
    "CD": "COMPLETED",
    "CA": "CANCELLED",
    "F": "FAILED",
    "TO": "TIMEOUT",
    "NF": "NODE_FAIL",
    "PR": "PREEMPTED",
    "BF": "BOOT_FAIL",
    "DL": "DEADLINE",
    "OOM": "OUT_OF_MEMORY",
    "CG": "COMPLETING",
    "CF": "CONFIGURING",
    "RS": "RESIZING",
    "RD": "RESV_DEL_HOLD",
    "RQ": "REQUEUED",
    "RF": "REQUEUE_FED",
    "RH": "REQUEUE_HOLD",
    "RV": "REVOKED",
    "SI": "SIGNALING",
    "SE": "SPECIAL_EXIT",
    "SO": "STAGE_OUT",
    "ST": "STOPPED",
}

#: The filter keys, and squeue's long option names for them.
FILTER_KEYS = {
    "jobid": "jobid",
    "jobs": "jobid",
    "user": "user",
    "qos": "qos",
    "partition": "partition",
    "state": "state",
    "states": "state",
    "name": "name",
    "account": "account",
}
_USAGE = (
    "the filters are jobid, user, qos, partition, state, name and account, each a "
    "comma-separated list as squeue takes it, e.g. kwargs=user=elvis&kwargs=qos=realtime"
)


class FilterError(ValueError):
    """A ``kwargs`` filter the facility cannot answer; the message says what would work."""


def base_jobid(text: str) -> int | None:
    """The job id of ``123`` or of an array task ``123_4`` (the array's id); None if neither
    (including numbers too large to be a Slurm job id)."""
    base = text.strip().split("_", 1)[0]
    if not (base.isascii() and base.isdigit()) or len(base) > 10 or int(base) > MAX_JOB_ID:
        return None
    return int(base)


def _state(part: str, item: str) -> str:
    name = part.upper()
    if name in JOB_STATES.values():
        return name
    if name in JOB_STATES:
        return JOB_STATES[name]
    raise FilterError(
        f"invalid job state {part!r} in filter {item!r}; valid job states include: "
        f"{','.join(JOB_STATES.values())} (or squeue's abbreviations: PD, R, CG, CD, CA, F, "
        "TO, …)"
    )


def parse_kwargs(
    kwargs: list[str],
    include_finished: bool,
    user_of_uid: Callable[[int], str | None] = lambda uid: None,
) -> JobQuery:
    """``kwargs=jobid=1,2&kwargs=user=elvis`` → a JobQuery. A key given twice adds to its
    list; ``user_of_uid`` turns a numeric user (squeue takes uids too) into a name."""
    query = JobQuery(include_finished=include_finished)
    lists: dict[str, set[str]] = {}
    ids: set[int] = set()
    jobids_given = False
    for item in kwargs:
        raw_key, sep, value = item.partition("=")
        key = FILTER_KEYS.get(raw_key.strip().lower())
        if not sep or key is None:
            raise FilterError(f"unsupported filter {item!r}; {_USAGE}")
        parts = [p.strip() for p in value.split(",") if p.strip()]
        if key == "jobid":
            jobids_given = True  # ``jobid=`` (an empty list) matches no job, as it always did
        elif not parts:
            raise FilterError(f"filter {item!r} has no value; give {key}=<value>[,<value>...]")
        for part in parts:
            if key == "jobid":
                base = base_jobid(part)
                if base is None:
                    raise FilterError(f"invalid job id {part!r} in filter {item!r}")
                ids.add(base)
            elif key == "state":
                lists.setdefault(key, set()).add(_state(part, item))
            elif key == "user" and part.isdigit():
                # a uid nobody has matches no job, as the name of an unknown user does
                lists.setdefault(key, set()).add(user_of_uid(int(part)) or f"#{part}")
            else:
                lists.setdefault(key, set()).add(part)
    if jobids_given:
        query.jobids = frozenset(ids)
    for key, attribute in (
        ("user", "users"),
        ("qos", "qos"),
        ("partition", "partitions"),
        ("state", "states"),
        ("name", "names"),
        ("account", "accounts"),
    ):
        if key in lists:
            setattr(query, attribute, frozenset(lists[key]))
    return query
