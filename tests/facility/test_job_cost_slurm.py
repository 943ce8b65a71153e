"""What a job cost and its callbacks with the ``slurm`` backend: MaxRSS and TotalCPU from real
sacct step rows (jobacct_gather/linux on CI's Slurm), the callback POST once the job ends.
Start a Slurm with ``ci/slurm-up.sh``."""

from __future__ import annotations

import pytest

from sfapi_jupyter.client.models import JobState

from ..support.facility import fast_config, new_client, serve, sync_client
from ..support.receiver import receiver
from ..support.slurm import require_slurm
from ..support.waiting import wait_for

pytestmark = pytest.mark.slurm

#: Touches 200 MiB and holds it past one accounting sample (JobAcctGatherFrequency=30), with
#: one CPU busy meanwhile.
HOLD = (
    "python3 -c \"import time; b = b'x' * (200 << 20); t = time.time()\n"
    'while time.time() - t < 35: pass"'
)


@pytest.fixture(scope="module", autouse=True)
def slurm_running() -> None:
    require_slurm()


def test_cost_and_callback_from_real_sacct(tmp_path):
    config = fast_config(
        tmp_path / "state", backend="slurm", callback_private_ok=True, callback_interval=0.2
    )
    with receiver() as hook, serve(config) as facility:
        client = sync_client(facility, new_client(facility))
        with client:
            job = client.compute("perlmutter").submit(
                "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t 5\n#SBATCH -c 2\n" + HOLD,
                callback_url=hook.url,
            )
            job.wait(timeout=180)
            assert job.state is JobState.COMPLETED
            cost = job.cost()
            wait_for(lambda: hook.posts, timeout=30)
    assert cost.source == "api"  # the facility read the step rows: no command needed
    assert 150 * 2**20 <= (cost.peak_memory or 0) <= 400 * 2**20
    assert cost.cpu_efficiency is not None and 0.2 <= cost.cpu_efficiency <= 0.6
    assert [p["body"]["state"] for p in hook.posts] == ["COMPLETED"]
