"""What a job cost, from its sacct rows: elapsed time, peak memory against the memory it
had, CPU efficiency and the node-hours charged (:mod:`.charges`).

sacct keeps MaxRSS on the job's steps (``123.batch``, ``123.extern``, ``123.0``), not always
on the allocation row the API lists; :func:`job_cost` takes every row it is given and reads
each field where it is. The contract of the value is in docs/job-cost.md.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from .charges import charge_factors

#: sacct's columns a cost needs (the command fallback asks for exactly these).
COST_FIELDS = (
    "JobIDRaw",
    "JobID",
    "State",
    "QOS",
    "Cluster",
    "Elapsed",
    "ElapsedRaw",
    "AllocCPUS",
    "NNodes",
    "ReqMem",
    "AllocTRES",
    "MaxRSS",
    "TotalCPU",
)

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
_SIZE_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([KMGTP]?)([nc]?)\s*$", re.IGNORECASE)
_CPU_RE = re.compile(r"^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$")


def parse_size(text: str | None) -> tuple[int, str] | None:
    """``4000M`` → (bytes, ""); ``4Gn`` → (bytes, "n") (per node), ``2Gc`` per CPU.
    None for empty or unreadable text. A bare number is bytes (sacct's MaxRSS of 0)."""
    match = _SIZE_RE.match(text or "")
    if not match:
        return None
    number, unit, per = match.groups()
    return int(float(number) * _UNITS[unit.upper()]), per.lower()


def parse_cpu_time(text: str | None) -> float | None:
    """sacct's TotalCPU (``MM:SS.mmm``, ``HH:MM:SS``, ``D-HH:MM:SS``) in seconds."""
    match = _CPU_RE.match((text or "").strip())
    if not match:
        return None
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)


def format_size(count: float) -> str:
    """``1.5G``, ``300M``: sbatch's own units (powers of 1024)."""
    for unit in ("T", "G", "M"):
        scale = _UNITS[unit]
        if count >= scale:
            value = count / scale
            return f"{value:.3g}{unit}" if value < 100 else f"{math.ceil(value)}{unit}"
    return f"{math.ceil(count / 1024)}K"


@dataclass(frozen=True)
class JobCost:
    """What one ended job cost. Fields are None where sacct did not say."""

    jobid: str
    state: str
    elapsed: dt.timedelta | None
    nodes: int | None
    cpus: int | None
    qos: str | None
    #: Largest MaxRSS of any of the job's steps, in bytes.
    peak_memory: int | None
    #: Memory the job had, in bytes (AllocTRES mem, else ReqMem; for the whole job).
    memory: int | None
    #: TotalCPU: user + system CPU time of all its processes.
    cpu_time: dt.timedelta | None
    #: cpu_time / (elapsed x allocated CPUs), 0..1.
    cpu_efficiency: float | None
    #: elapsed hours x nodes.
    node_hours: float | None
    qos_factor: float | None
    #: node_hours x QOS factor x machine factor; None when NERSC's factor is not known.
    charged_node_hours: float | None
    out_of_memory: bool
    #: What to ask for next time (set when the job ran out of memory).
    advice: str | None
    #: Anything the numbers leave out (a missing factor, a field sacct did not give).
    notes: tuple[str, ...] = ()
    #: ``api`` (the API's rows) or ``command`` (``sacct`` run through the command API).
    source: str = "api"

    @property
    def memory_fraction(self) -> float | None:
        """Peak memory / memory had."""
        if self.peak_memory is None or not self.memory:
            return None
        return self.peak_memory / self.memory

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (what the job card is given): durations in seconds."""
        data = asdict(self)
        for key in ("elapsed", "cpu_time"):
            value = getattr(self, key)
            data[key] = None if value is None else value.total_seconds()
        data["notes"] = list(self.notes)
        data["memory_fraction"] = self.memory_fraction
        return data

    def summary(self) -> str:
        """One line for a log or a terminal."""
        parts = [f"job {self.jobid} {self.state}"]
        if self.elapsed is not None:
            parts.append(f"elapsed {self.elapsed}")
        if self.peak_memory is not None:
            had = f" of {format_size(self.memory)}" if self.memory else ""
            parts.append(f"peak memory {format_size(self.peak_memory)}{had}")
        if self.cpu_efficiency is not None:
            parts.append(f"CPU efficiency {self.cpu_efficiency:.0%}")
        if self.charged_node_hours is not None:
            parts.append(f"charged {self.charged_node_hours:.3g} node-hours")
        elif self.node_hours is not None:
            parts.append(f"{self.node_hours:.3g} node-hours (no QOS factor)")
        text = ", ".join(parts)
        return f"{text}. {self.advice}" if self.advice else text


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _memory_had(alloc: Mapping[str, Any], nodes: int | None, cpus: int | None) -> int | None:
    """Bytes the job had: AllocTRES's ``mem=`` (the whole job), else ReqMem (``n``: per
    node, ``c``: per CPU, else the whole job as Slurm ≥ 21.08 prints it). 0 = no limit."""
    tres = dict(
        part.split("=", 1) for part in str(alloc.get("alloctres") or "").split(",") if "=" in part
    )
    for text, whole in ((tres.get("mem"), True), (alloc.get("reqmem"), False)):
        size = parse_size(text)
        if size is None or size[0] == 0:
            continue
        count, per = size
        if not whole and per == "n":
            count *= nodes or 1
        elif not whole and per == "c":
            count *= cpus or 1
        return count
    return None


def _oom_advice(peak: int | None, memory: int | None, nodes: int | None) -> str:
    base = max(peak or 0, memory or 0)
    per_node = base * 1.5 / (nodes or 1)
    ask = f"#SBATCH --mem={format_size(per_node)}" if per_node else "#SBATCH --mem=…"
    return (
        "It ran out of memory: ask for more next time "
        f"({ask} per node), or spread the work over more nodes (#SBATCH --nodes)."
    )


def job_cost(rows: Iterable[Mapping[str, Any]], jobid: str, *, source: str = "api") -> JobCost:
    """The cost of job ``jobid`` from its sacct rows (allocation and steps, keys lower-cased
    as the API sends them). Raises ValueError when no row is the job's allocation row."""
    mine = [
        r
        for r in rows
        if str(r.get("jobid", "")).split(".")[0] == jobid
        or str(r.get("jobidraw", "")).split(".")[0] == jobid
    ]
    alloc = next((r for r in mine if "." not in str(r.get("jobid", ""))), None)
    if alloc is None:
        raise ValueError(f"sacct has no row for job {jobid}")
    state = str(alloc.get("state") or "UNKNOWN").split()[0]
    nodes = _int(alloc.get("nnodes"))
    cpus = _int(alloc.get("alloccpus")) or _int(alloc.get("ncpus"))
    elapsed_s = _int(alloc.get("elapsedraw"))
    if elapsed_s is None:  # Elapsed has TotalCPU's format, without the fraction
        span = parse_cpu_time(str(alloc.get("elapsed") or ""))
        elapsed_s = None if span is None else int(span)
    rss = [s[0] for r in mine if (s := parse_size(str(r.get("maxrss") or ""))) is not None]
    peak = max(rss) if rss else None
    memory = _memory_had(alloc, nodes, cpus)
    cpu_s = parse_cpu_time(str(alloc.get("totalcpu") or ""))
    if not cpu_s:  # older sacct left the allocation row's TotalCPU empty: add the steps
        steps = [parse_cpu_time(str(r.get("totalcpu") or "")) for r in mine if r is not alloc]
        cpu_s = sum(s for s in steps if s is not None) if any(steps) else cpu_s
    notes: list[str] = []
    efficiency = None
    if cpu_s is not None and elapsed_s and cpus:
        efficiency = min(cpu_s / (elapsed_s * cpus), 1.0)
    node_hours = None if elapsed_s is None or nodes is None else elapsed_s / 3600 * nodes
    qos = str(alloc.get("qos") or "") or None
    factors = charge_factors()
    charged = None
    if node_hours is not None:
        charged, note = factors.charged(node_hours, qos, str(alloc.get("cluster") or ""))
        if note:
            notes.append(note)
    if peak is None:
        notes.append("sacct gave no MaxRSS for this job")
    oom = state == "OUT_OF_MEMORY" or bool(memory and peak is not None and peak >= memory)
    return JobCost(
        jobid=jobid,
        state=state,
        elapsed=None if elapsed_s is None else dt.timedelta(seconds=elapsed_s),
        nodes=nodes,
        cpus=cpus,
        qos=qos,
        peak_memory=peak,
        memory=memory,
        cpu_time=None if cpu_s is None else dt.timedelta(seconds=cpu_s),
        cpu_efficiency=efficiency,
        node_hours=node_hours,
        qos_factor=factors.qos_factor(qos),
        charged_node_hours=charged,
        out_of_memory=oom,
        advice=_oom_advice(peak, memory, nodes) if oom else None,
        notes=tuple(notes),
        source=source,
    )


def has_usage(rows: Iterable[Mapping[str, Any]]) -> bool:
    """Whether the rows carry what a cost needs (MaxRSS somewhere, TotalCPU): when not, the
    caller asks ``sacct`` itself through the command API."""
    rows = list(rows)
    return any(str(r.get("maxrss") or "").strip() for r in rows) and any(
        str(r.get("totalcpu") or "").strip() for r in rows
    )


def parse_sacct_table(text: str) -> list[dict[str, str]]:
    """``sacct -P -o …`` output (header line first) → rows keyed like the API's."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    keys = [k.strip().lower() for k in lines[0].split("|")]
    return [dict(zip(keys, line.split("|"), strict=False)) for line in lines[1:]]


def sacct_command(jobid: str) -> str:
    """The fallback: every row of the job, steps included, with the cost's columns."""
    if not re.fullmatch(r"\d+(_\d+)?", jobid):
        raise ValueError(f"not a job id: {jobid!r}")
    return f"sacct -j {jobid} -P -o {','.join(COST_FIELDS)}"
