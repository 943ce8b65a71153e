"""CPU the local backend's scheduler spends on a long queue, idle-aware vs. fixed-interval.

A 1000-task job array on a 4-node machine leaves ~996 tasks PENDING for a long time. The
scheduler re-reads the queue on every pass; passing every ``scheduler_interval`` (0.1 s)
whatever happens costs a core's worth of CPU, while waking on events (submit, end, cancel)
with a slow safety-net pass costs a fraction. Both are measured side by side in one run:

    python bench/scheduler_idle_cpu.py
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.accounts import Accounts
from sfapi_jupyter.facility.backends import local
from sfapi_jupyter.facility.models import FacilityUser, SubmitRequest
from sfapi_jupyter.facility.store import Store

TASKS = 1000
SECONDS = 6.0
SCRIPT = f"#!/bin/bash\n#SBATCH -C cpu\n#SBATCH --array=0-{TASKS - 1}\nsleep 60\n"


async def scheduler_cpu(idle_interval: float) -> float:
    """CPU seconds the process used over SECONDS with the queue full."""
    local.IDLE_INTERVAL = idle_interval
    root = Path(tempfile.mkdtemp(prefix="bench-sched-"))
    config = FacilityConfig(state_dir=root / "state", min_pending_seconds=0.2)
    config.ensure_dirs()
    store = Store(config.db_path)
    backend = local.LocalBackend(config, store, Accounts(config, store))
    await backend.start()
    for d in ("home", "scratch"):
        (root / d).mkdir()
    user = FacilityUser("elvis", 70001, 70001, "elvis", root / "home", root / "scratch", ("m1",))
    await backend.submit(SubmitRequest("perlmutter", user, SCRIPT))
    await asyncio.sleep(1.0)  # past min_pending: the queue is steady from here on
    start = time.process_time()
    await asyncio.sleep(SECONDS)
    used = time.process_time() - start
    await backend.stop()
    store.close()
    return used


def main() -> None:
    fixed = asyncio.run(scheduler_cpu(idle_interval=0.1))
    aware = asyncio.run(scheduler_cpu(idle_interval=2.0))
    print(f"{TASKS}-task array, {SECONDS:.0f} s with the queue full:")
    print(f"  pass every 0.1 s        : {fixed:6.2f} CPU s ({fixed / SECONDS:5.1%} of a core)")
    print(f"  events + 2 s safety pass: {aware:6.2f} CPU s ({aware / SECONDS:5.1%} of a core)")
    print(f"  ratio fixed / aware     : {fixed / max(aware, 1e-6):6.1f}x")


if __name__ == "__main__":
    main()
