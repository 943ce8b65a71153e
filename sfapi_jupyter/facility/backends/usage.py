"""What a job used, as sacct reports it: MaxRSS and TotalCPU.

The ``local`` backend measures its jobs the way Slurm's ``jobacct_gather/linux`` does: it
polls /proc for the processes of the job's process group, sums their resident memory (the
peak of that sum is MaxRSS) and their CPU time, and, as ``JobAcctGatherParams=OverMemoryKill``
does, kills a job whose sum passes the memory it asked for (``--mem``/``--mem-per-cpu``), which
then ends OUT_OF_MEMORY. The ``slurm`` backend reads the same figures from sacct's step rows.
Both keep them in ``JobRecord.extra["usage"]``; :func:`usage_columns` makes the sacct columns.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..models import JobRecord

log = logging.getLogger("sfapi_jupyter.facility.backends")

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")
_UNITS = {"": 1024**2, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def memory_bytes(text: str | None) -> int | None:
    """sbatch's ``--mem`` value (``100``, ``100M``, ``4G``; megabytes when bare) in bytes."""
    match = re.fullmatch(r"(\d+)([KMGT]?)B?", (text or "").strip().upper())
    return int(match[1]) * _UNITS[match[2]] if match else None


def job_memory(mem: str | None, mem_per_cpu: str | None, nodes: int, cpus: int) -> int | None:
    """The memory a job has, in bytes, for the whole job (None: no limit asked)."""
    per_node = memory_bytes(mem)
    if per_node:
        return per_node * max(nodes, 1)
    per_cpu = memory_bytes(mem_per_cpu)
    return per_cpu * max(cpus, 1) if per_cpu else None


@dataclass
class UsageMeter:
    """What one job's process group used: its peak memory and its processes' CPU time."""

    pgid: int
    limit: int | None = None
    peak_rss: int = 0
    #: CPU seconds of each process seen, by (pid, start time): a reused pid is another one.
    cpu: dict[tuple[int, str], tuple[float, float]] = field(default_factory=dict)

    def record(self, rss: int, seen: dict[tuple[int, str], tuple[float, float]]) -> None:
        """One sample: the group's resident bytes now, and its processes' CPU seconds."""
        self.cpu.update(seen)
        self.peak_rss = max(self.peak_rss, rss)

    @property
    def over_limit(self) -> bool:
        return bool(self.limit) and self.peak_rss >= (self.limit or 0)

    def to_json(self) -> dict[str, Any]:
        times = list(self.cpu.values())
        user, system = sum(u for u, _ in times), sum(s for _, s in times)
        return {"maxrss": self.peak_rss, "user": user, "system": system}


def sample_all(meters: list[UsageMeter]) -> None:
    """One pass over /proc for every meter: the processes of each meter's process group,
    their resident memory summed, their CPU times (as jobacct_gather/linux reads them)."""
    by_group = {m.pgid: m for m in meters}
    rss = dict.fromkeys(by_group, 0)
    seen: dict[int, dict[tuple[int, str], tuple[float, float]]] = {g: {} for g in by_group}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
            group = int(fields[2])
        except (OSError, IndexError, ValueError):
            continue
        if group not in by_group or len(fields) < 22 or fields[0] == "Z":
            continue
        rss[group] += int(fields[21]) * _PAGE
        seen[group][(int(entry.name), fields[19])] = (
            int(fields[11]) / _TICK,
            int(fields[12]) / _TICK,
        )
    for group, meter in by_group.items():
        meter.record(rss[group], seen[group])


def cpu_duration(seconds: float) -> str:
    """sacct's TotalCPU format: ``MM:SS.mmm`` under an hour, ``[D-]HH:MM:SS`` above."""
    if seconds < 3600:
        minutes, secs = divmod(seconds, 60)
        return f"{int(minutes):02d}:{secs:06.3f}"
    total = int(seconds)
    days, rest = divmod(total, 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}-{text}" if days else text


def usage_columns(extra: dict[str, Any]) -> dict[str, str]:
    """The sacct columns a job's recorded usage fills (none before it has any)."""
    columns: dict[str, str] = {}
    memory = extra.get("mem_bytes")
    if memory:
        megabytes = -(-int(memory) // 1024**2)
        columns["reqmem"] = f"{megabytes}M"
        columns["mem_tres"] = f"mem={megabytes}M"
    usage = extra.get("usage")
    if isinstance(usage, dict):
        if "raw" in usage:  # from Slurm's own sacct: its text, as it printed it
            columns.update({k: str(v) for k, v in usage["raw"].items()})
            return columns
        user, system = float(usage.get("user", 0.0)), float(usage.get("system", 0.0))
        columns.update(
            maxrss=f"{-(-int(usage.get('maxrss', 0)) // 1024)}K",
            totalcpu=cpu_duration(user + system),
            usercpu=cpu_duration(user),
            systemcpu=cpu_duration(system),
        )
    return columns


#: sacct's columns for what a Slurm job used (every row: the allocation and its steps).
SLURM_USAGE_FIELDS = ("JobIDRaw", "MaxRSS", "TotalCPU", "UserCPU", "SystemCPU", "ReqMem")


def slurm_usage(text: str) -> dict[int, dict[str, Any]]:
    """``sacct -P -n -o SLURM_USAGE_FIELDS`` (steps included) → per job id, the ``usage``
    to keep: MaxRSS of its largest step, the allocation row's CPU times, its ReqMem."""
    found: dict[int, dict[str, Any]] = {}
    for line in text.splitlines():
        cells = line.split("|")
        if len(cells) != len(SLURM_USAGE_FIELDS):
            continue
        jobid_text, maxrss, total, user, system, reqmem = cells
        base, _, step = jobid_text.partition(".")
        if not base.isdigit():
            continue
        raw = found.setdefault(int(base), {"raw": {}})["raw"]
        if maxrss and _kib(maxrss) >= 0 and re.fullmatch(r"[0-9.]+[KMGT]?", maxrss):
            best = raw.get("maxrss")
            if best is None or _kib(maxrss) > _kib(best):
                raw["maxrss"] = maxrss
        if not step:
            raw.update(totalcpu=total, usercpu=user, systemcpu=system, reqmem=reqmem)
    return found


async def read_slurm_usage(
    jobs: list[JobRecord], query: Callable[[list[str]], Awaitable[str]]
) -> None:
    """Keep in each ended job's ``extra["usage"]`` what sacct says it used (one sacct for
    all). A sacct that fails costs the figures (the client then asks sacct itself), never
    the refresh of the jobs' states."""
    ids = ",".join(str(j.jobid) for j in jobs)
    try:
        used = slurm_usage(
            await query(["sacct", "-P", "-n", "-o", ",".join(SLURM_USAGE_FIELDS), "-j", ids])
        )
    except RuntimeError as exc:
        log.warning("usage of jobs %s not read: %s", ids, exc)
        used = {}
    for job in jobs:
        job.extra["usage"] = used.get(job.jobid, {"raw": {}})


def _kib(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)([KMGT]?)", text.strip().upper())
    if not match:
        return 0.0
    return float(match[1]) * {"": 1 / 1024, "K": 1, "M": 1024, "G": 1024**2, "T": 1024**3}[match[2]]
