"""An unattended campaign over NERSC's Superfacility API: plan, submit, wait, collect.

The planning-and-automation notebook imports these functions; run from the command line the
same code works with no person present (a cron job, a workflow step, a CI job)::

    python automation.py --machines perlmutter dtns --scans 3

Credentials come from the environment like every ``Client()``: ``~/.superfacility/`` or
``SFAPI_CLIENT_ID``/``SFAPI_KEY``, and ``SFAPI_API_URL``/``SFAPI_TOKEN_URL`` for the local
facility. The exit status is 0 when every scan's result was collected.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterable

from sfapi_jupyter import Client, JobState
from sfapi_jupyter.client.scripts import outage_conflicts

#: The time limit asked for each job; outages are avoided for this long after its start.
WALLTIME = dt.timedelta(minutes=5)

Log = Callable[[str], None]


def log_line(text: str) -> None:
    """Print one line of progress at once (a log file or a notebook shows it as it happens)."""
    print(text, flush=True)


def pick_machine(client: Client, machines: Iterable[str], log: Log = log_line) -> str:
    """The first of ``machines`` whose status is ``active``: fail over when one is down."""
    for name in machines:
        status = client.status(name)
        if status.status.value == "active":
            return name
        notes = "; ".join(status.notes or []) or status.description or ""
        log(f"{name} is {status.status.value} ({notes}): trying the next machine")
    raise RuntimeError("none of the machines is up; try again later")


def earliest_start(
    client: Client,
    machine: str,
    walltime: dt.timedelta = WALLTIME,
    now: dt.datetime | None = None,
) -> dt.datetime:
    """The first moment from ``now`` at which a job of ``walltime`` meets no outage.

    Slurm holds a job that would run into a maintenance reservation until the outage is
    over; submitting after the outage instead keeps the job's inputs fresh and its place in
    a workflow predictable.
    """
    start = now or dt.datetime.now(dt.timezone.utc)
    outages = [*client.outages(machine), *client.planned_outages(machine)]
    while True:
        conflicts = outage_conflicts(outages, walltime, start)
        if not conflicts:
            return start
        if any(o.end_at is None for o in conflicts):
            raise RuntimeError(f"{machine} has an outage with no announced end")
        start = max(o.end_at for o in conflicts if o.end_at is not None)


def scan_script(machine: str, scan: int, workdir: str) -> str:
    """The batch script that summarises one scan (a stand-in for a real analysis)."""
    constraint = "#SBATCH -C cpu\n" if machine == "perlmutter" else ""
    minutes = int(WALLTIME.total_seconds() // 60)
    return f"""#!/bin/bash
#SBATCH -q debug -t {minutes} -J scan{scan}
{constraint}#SBATCH -o {workdir}/scan{scan}-%j.out
python3 - <<'EOF'
import hashlib, json
frames = 600 * {scan}
digest = hashlib.sha256(b"scan-{scan}" * frames).hexdigest()[:12]
with open("{workdir}/scan{scan}.json", "w") as f:
    json.dump({{"scan": {scan}, "frames": frames, "digest": digest}}, f)
print("scan {scan}:", frames, "frames summarised")
EOF
"""


def run_campaign(
    client: Client,
    machines: Iterable[str],
    scans: Iterable[int],
    workdir: str = "campaign",
    *,
    retries: int = 1,
    timeout: float = 600,
    log: Log = log_line,
) -> list[dict]:
    """Submit one job per scan where and when it can run, wait, collect the results.

    A job that fails is submitted again (up to ``retries`` times); the results are returned
    in scan order.
    """
    machine_name = pick_machine(client, machines, log)
    machine = client.compute(machine_name)
    start = earliest_start(client, machine_name)
    wait = (start - dt.datetime.now(dt.timezone.utc)).total_seconds()
    if wait > 0:
        log(f"{machine_name} has an outage within the walltime: submitting after it ends")
        time.sleep(wait + 1)
    machine.run(f"mkdir -p {workdir}", check=True)
    pending = dict.fromkeys(scans, 0)
    results: dict[int, dict] = {}
    while pending:
        jobs = {scan: machine.submit(scan_script(machine_name, scan, workdir)) for scan in pending}
        log(f"submitted {len(jobs)} job(s) on {machine_name}")
        for scan, job in jobs.items():
            job.wait(timeout=timeout)
            if job.state is JobState.COMPLETED:
                text = machine.files.download(f"{workdir}/scan{scan}.json", binary=False)
                results[scan] = json.loads(text)
                del pending[scan]
            elif pending[scan] < retries:
                pending[scan] += 1
                log(f"scan {scan} ended {job.state.value}: submitting it again")
            else:
                raise RuntimeError(f"scan {scan} failed {retries + 1} times; giving up")
    log(f"collected {len(results)} result(s) from {machine_name}")
    return [results[scan] for scan in sorted(results)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--machines",
        nargs="+",
        default=["perlmutter", "dtns"],
        help="machines to try in order (default: perlmutter dtns)",
    )
    parser.add_argument("--scans", type=int, default=3, help="how many scans (default: 3)")
    parser.add_argument("--workdir", default="campaign", help="directory in your home")
    args = parser.parse_args(argv)
    with Client() as client:
        results = run_campaign(client, args.machines, range(1, args.scans + 1), args.workdir)
    for result in results:
        log_line(json.dumps(result, sort_keys=True))
    return 0 if len(results) == args.scans else 1


if __name__ == "__main__":
    sys.exit(main())
