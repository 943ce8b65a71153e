"""A tutorial room: N attendees run the quickstart's calls at once against one facility.

The instructor starts a facility (in its own process, as ``facility serve`` would run it, with
perlmutter sized to the room: N + 2 nodes on the ``local`` backend; the ``slurm`` backend has
the host's Slurm as it is) and creates one API client per attendee, one after the other, as
``sfapi-jupyter facility client create --user attNN`` does. Then every attendee, each with
their own key and their own :class:`~sfapi_jupyter.AsyncClient` (all on one event loop in
this process), runs the quickstart at the same moment:

status (the first call: it fetches the attendee's access token) → account (``projects()``) →
``run("echo $HOME")`` → upload ``scan42.csv`` → ``ls`` the home → submit the quickstart's job
(5 batches of 1 s) → watch it to the end with its output followed (``machine.tail(...,
stop=lambda: job.is_terminal)`` beside ``job.wait()``) → download the output.

Figures: each call's p50/p99 at the client (the first call apart); the queue wait (the job's
start minus its submit, as the facility recorded them) apart from the toolkit's own delay (when
the client saw the job running, and saw it end, minus the facility's start and end times; one
clock, one host); errors (any exception, or output that does not match the file); jobs
completed; the facility process's own CPU (utime + stime from ``/proc``; a local job's
processes are its children and not counted).

    python -m bench.tutorial_room [ATTENDEES] [local|slurm]
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sfapi_jupyter import AsyncClient, JobState

from ._facility import cpu_seconds, remove_os_accounts

#: The quickstart's job (notebooks/quickstart.ipynb), as an attendee submits it.
QUICKSTART_JOB = """#!/bin/bash
#SBATCH -C cpu
#SBATCH -q debug
#SBATCH -t 5
#SBATCH -J quickstart
echo "reading $(head -n 1 scan42.csv)"
for batch in 1 2 3 4 5; do
    echo "frame batch $batch of 5 reconstructed"
    sleep 1
done
echo "done"
"""
#: The calls timed; the first one (status: the client sends its token even on public calls)
#: also fetches the attendee's first access token.
CALLS = ("status (first call: token)", "account", "run", "upload", "ls", "submit", "download")


class RoomFacility:
    """``python -m bench.tutorial_room serve STATE BACKEND NODES``: the facility's process."""

    def __init__(self, state_dir: Path, backend: str, nodes: int) -> None:
        self.state_dir = state_dir
        module = [sys.executable, "-m", "bench.tutorial_room"]
        argv = [*module, "serve", str(state_dir), backend, str(nodes)]
        root = Path(__file__).resolve().parent.parent
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root, env=env
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the {backend} facility did not start (see its stderr above)")
        self.base_url = json.loads(line)["base_url"]
        self.api_url = self.base_url + "/api/v1.2"
        self.token_url = self.base_url + "/c2id/token"

    def create_clients(self, users: list[str]) -> list[dict[str, str]]:
        """One client per attendee, made one after the other with the admin command."""
        from sfapi_jupyter.cli import main

        made = []
        create = ["facility", "client", "create", "--state", str(self.state_dir), "--json"]
        for user in users:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = main([*create, "--user", user])
            if code != 0:
                raise RuntimeError(f"client create --user {user} failed")
            made.append(json.loads(out.getvalue()))
        return made

    def job_times(self, jobids: list[str]) -> dict[str, dict[str, Any]]:
        db = sqlite3.connect(f"file:{self.state_dir / 'private' / 'facility.db'}?mode=ro", uri=True)
        try:
            found = {}
            for jobid in jobids:
                row = db.execute("SELECT doc FROM jobs WHERE jobid=?", (int(jobid),)).fetchone()
                if row:
                    found[jobid] = json.loads(row[0])
            return found
        finally:
            db.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        remove_os_accounts(self.state_dir)


async def attendee(fac: RoomFacility, creds: dict[str, str], start: asyncio.Event) -> dict:
    """One attendee's quickstart; returns call latencies, job id, what the client saw."""
    record: dict[str, Any] = {"calls": {}, "error": None, "jobid": None}

    async def timed(name: str, call: Any) -> Any:
        began = time.perf_counter()
        result = await call
        record["calls"][name] = time.perf_counter() - began
        return result

    client = AsyncClient(
        fac.api_url, fac.token_url, client_id=creds["client_id"], key=creds["private_key_pem"]
    )
    await start.wait()
    try:
        await timed("status (first call: token)", client.status("perlmutter"))
        await timed("account", client.projects())
        machine = client.compute("perlmutter")
        home = (await timed("run", machine.run("echo $HOME"))).output.strip()
        await timed("upload", machine.files.upload(b"scan,frames\n42,1800\n", f"{home}/scan42.csv"))
        await timed("ls", machine.files.ls(home))
        job = await timed("submit", machine.submit(QUICKSTART_JOB))
        record["jobid"] = job.jobid
        out_path = f"{home}/slurm-{job.jobid}.out"

        async def follow() -> str:
            chunks = [chunk async for chunk in machine.tail(out_path, stop=lambda: job.is_terminal)]
            return "".join(chunks)

        async def note_start() -> None:
            while job.state is not JobState.RUNNING and not job.is_terminal:
                await asyncio.sleep(0.02)  # reads what the watcher saw: no requests
            record["seen_running"] = time.time()

        following = asyncio.create_task(follow())
        noting = asyncio.create_task(note_start())
        await job.wait(timeout=900)
        record["seen_end"] = time.time()
        followed = await following
        await noting
        record["state"] = job.state.value
        content = await timed("download", machine.files.download(out_path, binary=False))
        if not content.rstrip().endswith("done") or followed != content:
            record["error"] = f"output followed {followed!r} differs from the file {content!r}"
    except Exception as exc:  # every failure counts, with what it said
        record["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return record


def _quantiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan"), "n": 0}
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(0.99 * len(ordered)) - 1))
    return {
        "p50": ordered[(len(ordered) - 1) // 2],
        "p99": ordered[rank],
        "max": ordered[-1],
        "n": len(ordered),
    }


def run(attendees: int = 30, backend: str = "local") -> dict[str, Any]:
    users = [f"att{i:02d}" for i in range(1, attendees + 1)]
    with tempfile.TemporaryDirectory(prefix="bench-room-") as tmp:
        Path(tmp).chmod(0o711)  # attendees' homes are below it when run as root
        fac = RoomFacility(Path(tmp) / "state", backend, attendees + 2)
        try:
            began = time.perf_counter()
            creds = fac.create_clients(users)
            accounts_s = time.perf_counter() - began

            async def room() -> list[dict[str, Any]]:
                start = asyncio.Event()
                tasks = [asyncio.create_task(attendee(fac, c, start)) for c in creds]
                await asyncio.sleep(0.1)
                start.set()  # everyone at once
                return await asyncio.gather(*tasks)

            cpu_before, wall_before = cpu_seconds(fac.proc.pid), time.perf_counter()
            records = asyncio.run(room())
            wall = time.perf_counter() - wall_before
            cpu = cpu_seconds(fac.proc.pid) - cpu_before
            jobs = fac.job_times([r["jobid"] for r in records if r["jobid"]])
        finally:
            fac.close()
    waits, seen_start, seen_end = [], [], []
    for r in records:
        job = jobs.get(r["jobid"] or "")
        if not job or job.get("start_time") is None:
            continue
        waits.append(job["start_time"] - job["submit_time"])
        if "seen_running" in r:
            seen_start.append(r["seen_running"] - job["start_time"])
        if "seen_end" in r and job.get("end_time"):
            seen_end.append(r["seen_end"] - job["end_time"])
    errors = [r["error"] for r in records if r["error"]]
    return {
        "backend": backend,
        "attendees": attendees,
        "nodes": attendees + 2 if backend == "local" else "Slurm's own",
        "accounts_created_s": accounts_s,
        "wall_s": wall,
        "calls": {
            name: _quantiles([r["calls"][name] for r in records if name in r["calls"]])
            for name in CALLS
        },
        "queue_wait_s": _quantiles(waits),
        "seen_running_after_start_s": _quantiles(seen_start),
        "seen_end_after_end_s": _quantiles(seen_end),
        "errors": len(errors),
        "error_messages": errors[:5],
        "completed": sum(1 for r in records if r.get("state") == "COMPLETED"),
        "facility_cpu_s": cpu,
        "facility_cpu_percent": 100 * cpu / wall,
    }


def _serve(state_dir: str, backend: str, nodes: int) -> None:
    from sfapi_jupyter.facility import FacilityConfig
    from sfapi_jupyter.facility.config import parse_nodes
    from sfapi_jupyter.facility.server import LocalFacility

    config = FacilityConfig(
        state_dir=Path(state_dir), backend=backend, nodes=parse_nodes([f"perlmutter={nodes}"])
    )
    with LocalFacility(config) as facility:
        print(json.dumps({"base_url": facility.base_url}), flush=True)
        sys.stdin.read()  # until the parent closes it


def main() -> None:
    if sys.argv[1:2] == ["serve"]:
        _serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    attendees = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    backend = sys.argv[2] if len(sys.argv) > 2 else "local"
    result = run(attendees, backend)
    print(json.dumps(result, indent=1))
    print(table(result))


def table(result: dict[str, Any]) -> str:
    """The per-call figures of one room as a Markdown table (for bench/README.md)."""
    lines = [
        f"room of {result['attendees']} on the {result['backend']} backend "
        f"(perlmutter nodes: {result['nodes']})",
        "| call | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|",
    ]
    for name, q in result["calls"].items():
        lines.append(
            f"| {name} | {q['p50'] * 1000:.0f} | {q['p99'] * 1000:.0f} | {q['max'] * 1000:.0f} |"
        )
    for key, label in (
        ("queue_wait_s", "queue wait (facility: start - submit), s"),
        ("seen_running_after_start_s", "client saw RUNNING after the start, s"),
        ("seen_end_after_end_s", "client saw the end after it, s"),
    ):
        q = result[key]
        lines.append(f"| {label} | {q['p50']:.2f} | {q['p99']:.2f} | {q['max']:.2f} |")
    lines.append(
        f"errors {result['errors']}, jobs completed {result['completed']} of "
        f"{result['attendees']}, facility CPU {result['facility_cpu_s']:.1f} s over "
        f"{result['wall_s']:.0f} s ({result['facility_cpu_percent']:.0f} % of a core)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
