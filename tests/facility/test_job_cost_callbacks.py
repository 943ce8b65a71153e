"""What a job cost and word when it ends, against the local facility (``local`` backend): real
processes measured from /proc, a job killed past its ``--mem``, and the submit callbacks (one
POST, one outbox message; once, also across restarts)."""

from __future__ import annotations

import email
import time

from sfapi_jupyter.client.models import JobState

from ..support.facility import fast_config, new_client, serve, sync_client
from ..support.receiver import receiver
from ..support.waiting import wait_for

#: Writes (so touches) 300 MiB, holds it a moment, then keeps one CPU busy for 2 s of CPU.
HOG = (
    "python3 -c \"import time; b = b'x' * (300 << 20); time.sleep(1)\n"
    'while time.process_time() < 2.5: pass"'
)


def batch(body: str, *options: str) -> str:
    head = ["#!/bin/bash", "#SBATCH -C cpu", "#SBATCH -t 00:05:00", *options]
    return "\n".join(f"#SBATCH {o}" if not o.startswith("#") else o for o in head) + f"\n{body}\n"


def test_cost_of_a_job_measured_on_the_local_backend(tmp_path):
    with serve(fast_config(tmp_path / "state")) as facility:
        creds = new_client(facility)
        with sync_client(facility, creds) as client:
            machine = client.compute("perlmutter")
            job = machine.submit(
                "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t 5\n#SBATCH -c 2\n#SBATCH --mem=1G\n" + HOG
            )
            job.wait(timeout=120)
            assert job.state is JobState.COMPLETED
            cost = job.cost()
    assert cost.source == "api"  # the API's row had it all: no command was needed
    assert 280 * 2**20 <= (cost.peak_memory or 0) <= 400 * 2**20
    assert cost.memory == 2**30 and not cost.out_of_memory
    assert cost.cpu_time is not None and cost.cpu_time.total_seconds() >= 2.0
    # one of two CPUs busy: at most half, less the start and the sleep
    assert cost.cpu_efficiency is not None and 0.1 <= cost.cpu_efficiency <= 0.55
    assert cost.node_hours is not None and cost.node_hours > 0
    assert job.info.cost is not None and job.info.cost.peak_memory == cost.peak_memory


def test_a_job_past_its_memory_ends_out_of_memory_and_says_what_to_ask(tmp_path):
    with serve(fast_config(tmp_path / "state")) as facility:
        creds = new_client(facility)
        with sync_client(facility, creds) as client:
            machine = client.compute("perlmutter")
            job = machine.submit(
                "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t 5\n#SBATCH --mem=100M\n"
                "python3 -c \"import time; b = b'x' * (400 << 20); time.sleep(30)\"\n"
            )
            job.wait(timeout=120)
            cost = job.cost()
    assert job.state is JobState.OUT_OF_MEMORY
    assert job.raw["exitcode"] == "0:125"
    assert cost.out_of_memory and cost.memory == 100 * 2**20
    assert cost.advice is not None and "#SBATCH --mem=" in cost.advice


def test_callback_url_gets_one_post_and_the_email_one_message(tmp_path):
    config = fast_config(tmp_path / "state", callback_private_ok=True, callback_interval=0.1)
    with receiver() as hook, serve(config) as facility:
        creds = new_client(facility)
        with sync_client(facility, creds) as client:
            job = client.compute("perlmutter").submit(
                batch("exit 3", "-J hooked"),
                callback_url=hook.url,
                callback_email="elvis@example.org",
                callback_timeout=5,
            )
            job.wait(timeout=60)
            wait_for(lambda: hook.posts, timeout=30)
            time.sleep(1.0)  # several more passes of the callback loop: no second POST
    event = {"jobid": job.jobid, "machine": "perlmutter", "state": "FAILED"}
    event.update(name="hooked", exitcode="3:0")
    assert hook.posts == [{"path": "/hook", "body": event}]
    mails = list(config.outbox.glob("*.eml"))
    assert len(mails) == 1
    message = email.message_from_bytes(mails[0].read_bytes())
    assert message["To"] == "elvis@example.org"
    assert message["Subject"] == f"Job {job.jobid} (hooked) ended FAILED"


def test_callback_is_sent_once_across_restarts(tmp_path):
    state = tmp_path / "state"
    with receiver() as hook:
        # First run: the callback loop looks once, at start-up, then not for an hour: the
        # job ends while the facility still owes its callback when it stops.
        first = fast_config(state, callback_private_ok=True, callback_interval=3600)
        with serve(first) as facility:
            creds = new_client(facility)
            with sync_client(facility, creds) as client:
                job = client.compute("perlmutter").submit(batch("true"), callback_url=hook.url)
                job.wait(timeout=60)
        assert hook.posts == []
        again = fast_config(state, callback_private_ok=True, callback_interval=0.1)
        with serve(again):
            wait_for(lambda: hook.posts, timeout=30)
            time.sleep(0.5)
        with serve(again):
            time.sleep(1.0)
    assert [p["body"]["jobid"] for p in hook.posts] == [job.jobid]
    assert hook.posts[0]["body"]["state"] == "COMPLETED"


def test_a_row_without_usage_asks_sacct_through_the_command_api(tmp_path):
    """A job cancelled before it started has no MaxRSS in the API's row: ``cost()`` asks
    ``sacct`` on the machine (a command task), which does not know it either, and the cost
    says what is missing instead of failing."""
    with serve(fast_config(tmp_path / "state")) as facility:
        creds = new_client(facility)
        with sync_client(facility, creds) as client:
            machine = client.compute("perlmutter")
            never = machine.submit(batch("true", "--begin=now+1hour"))
            never.cancel(wait=True, timeout=60)
            before = len(facility.facility.store.list_tasks("elvis"))
            cost = never.cost()
            tasks = facility.facility.store.list_tasks("elvis")[before:]
            assert [t["kind"] for t in tasks] == ["command"]
            assert never.cost(fallback=False).notes == cost.notes  # no command this time
            assert len(facility.facility.store.list_tasks("elvis")) == before + 1
    assert cost.state == "CANCELLED" and cost.peak_memory is None
    assert "sacct gave no MaxRSS for this job" in cost.notes
