"""The job card's cost panel, array task grid (per-task output, failed-task resubmit) and the
walltime it gives the bell: the kernel side of js/src/job_card/{cost,grid,notify}.ts."""

from __future__ import annotations

import datetime as dt

from sfapi_jupyter.client.cost import job_cost
from sfapi_jupyter.client.models.jobs import JobInfo, JobState
from sfapi_jupyter.notebook.jobs import array_script
from sfapi_jupyter.widgets import JobCard
from sfapi_jupyter.widgets.support.cost import cost_facts

from .test_widgets import T0, from_js, job, record

OOM_ROWS = [
    {
        "jobid": "9",
        "state": "OUT_OF_MEMORY",
        "elapsedraw": "4",
        "alloccpus": "2",
        "nnodes": "1",
        "reqmem": "64M",
        "alloctres": "cpu=2,mem=64M,node=1",
        "maxrss": "",
        "totalcpu": "00:01.000",
        "qos": "debug",
    },
    {"jobid": "9.batch", "state": "OUT_OF_MEMORY", "maxrss": "65536K", "totalcpu": "00:01.000"},
]


def task(index: int, state: JobState, exit_code: int | None = None) -> JobInfo:
    return JobInfo(
        jobid=f"100_{index}",
        state=state,
        array_job_id="100",
        array_task_id=str(index),
        exit_code=exit_code,
        elapsed=dt.timedelta(seconds=3),
    )


def test_cost_panel_of_an_oom_job_in_the_saved_notebook() -> None:
    card = JobCard(jobid="9", machine="perlmutter", name="grow")
    card.set_job(JobInfo(jobid="9", state=JobState.OUT_OF_MEMORY, exit_code=0))
    assert "peak memory" not in card.summary_html()
    cost = job_cost(OOM_ROWS, "9").to_json()
    card.set_cost(cost)
    assert card.cost["out_of_memory"] and card.cost["peak_memory"] == 64 * 1024**2
    html = card.summary_html()
    assert "peak memory" in html and "64M of 64M (100%)" in html
    assert "CPU efficiency" in html and "node-hours" in html
    assert "no QOS charge factor known" in html  # the data file has no factor: never guessed
    assert "ran out of memory" in html and "--mem=96M" in html


def test_cost_facts_say_charged_when_the_factor_is_known() -> None:
    facts = dict(cost_facts({"elapsed": 3600, "node_hours": 2.0, "charged_node_hours": 4.0}))
    assert facts == {"elapsed": "1h 00m", "charged": "4 node-hours"}
    assert cost_facts({}) == []


def test_task_pick_reaches_the_callback_and_show_task_resets_the_output() -> None:
    card = JobCard(jobid="100", machine="m", array=True)
    picked: list[tuple[str, str]] = []
    card.on("task", lambda jobid, index: picked.append((jobid, index)))
    card.set_array_tasks([task(0, JobState.COMPLETED, 0), task(1, JobState.FAILED, 3)])
    from_js(card, {"type": "task", "jobid": "100_1"})
    from_js(card, {"type": "task", "jobid": "100_7"})  # not a task of this array: ignored
    from_js(card, {"type": "task", "jobid": ["100_1"]})  # not a job id: ignored
    assert picked == [("100_1", "1")]
    card.append_output("task 0 says hi\n")
    sent = record(card)
    card.show_task("100_1", "/home/u/slurm-100_1.out", None)
    assert card.task_shown == "100_1" and card.stdout_path == "/home/u/slurm-100_1.out"
    assert card.output() == ""
    assert sent[-1]["type"] == "snapshot" and sent[-1]["streams"]["stdout"]["lines"] == []


def test_resubmit_sends_the_failed_indices_once() -> None:
    card = JobCard(jobid="100", machine="m", array=True)
    card.set_array_tasks([task(i, JobState.COMPLETED, 0) for i in range(12)])
    asked: list[list[str]] = []
    card.on("resubmit", asked.append)
    assert not card.can_resubmit  # nothing failed
    card.set_array_tasks(
        [task(1, JobState.FAILED, 1), task(10, JobState.TIMEOUT), task(5, JobState.OUT_OF_MEMORY)]
    )
    assert card.can_resubmit and card.failed_tasks() == ["1", "5", "10"]
    from_js(card, {"type": "resubmit"})
    from_js(card, {"type": "resubmit"})  # a double click makes one array
    assert asked == [["1", "5", "10"]] and not card.can_resubmit
    card.set_array_tasks([task(2, JobState.FAILED, 1)])
    assert not card.can_resubmit  # still once, until the resubmit failed
    card.allow_resubmit()
    assert card.can_resubmit
    card.resubmitted = "101"
    assert "1, 2, 5, 10; resubmitted as job 101" in card.summary_html()


def test_no_resubmit_without_a_callback() -> None:
    card = JobCard(jobid="100", machine="m", array=True)
    card.set_array_tasks([task(1, JobState.FAILED, 1)])
    from_js(card, {"type": "resubmit"})
    assert not card.can_resubmit


def test_walltime_reaches_the_view() -> None:
    card = JobCard(jobid="7", machine="m")
    card.set_job(JobInfo(jobid="7", state=JobState.RUNNING, time_limit=dt.timedelta(minutes=30)))
    assert card.time_limit_s == 1800


def test_array_script_keeps_everything_but_the_indices() -> None:
    script = (
        "#!/bin/bash\n#SBATCH -t 5\n#SBATCH --array=0-99%10\n#SBATCH -a 3\n"
        "srun step $SLURM_ARRAY_TASK_ID\n#SBATCH --array=7\n"
    )
    assert array_script(script, ["1", "5", "9"]) == (
        "#!/bin/bash\n#SBATCH -t 5\n#SBATCH --array=1,5,9\nsrun step $SLURM_ARRAY_TASK_ID\n"
    )
    assert array_script("#!/bin/sh\necho hi\n", ["2"]) == "#!/bin/sh\n#SBATCH --array=2\necho hi\n"


def test_a_running_job_shows_no_exit_code_until_it_ends() -> None:
    """squeue reports 0:0 for a job that runs: that is not an exit code yet."""
    card = JobCard(jobid="7", machine="perlmutter", name="scan")
    card.set_job(job("7", JobState.RUNNING, exit_code=0, submit_time=T0))
    assert card.summary_text().startswith("Job 7 scan on perlmutter: RUNNING (")
    assert "exit code" not in card.summary_html()
    card.set_job(job("7", JobState.FAILED, exit_code=3, submit_time=T0, end_time=T0))
    assert card.summary_text().startswith("Job 7 scan on perlmutter: FAILED exit 3")
    assert "exit code" in card.summary_html()


def test_start_over_follows_the_next_job_with_nothing_of_the_last() -> None:
    """The HDF5 viewer's card follows each question's job: one cancelled before must not
    leave the next one's button at "Cancelling…"."""
    card = JobCard(jobid="7", machine="perlmutter", name="sfapi-h5")
    card.set_job(job("7", JobState.RUNNING, submit_time=T0))
    card.cancel_requested = True
    card.set_job(job("7", JobState.CANCELLED, submit_time=T0, end_time=T0))
    card.start_over("8")
    assert (card.jobid, card.state, card.timeline, card.cost) == ("8", "UNKNOWN", [], {})
    assert card.cancel_requested is False
    card.set_job(job("8", JobState.PENDING, submit_time=T0))
    assert [step["state"] for step in card.timeline] == ["PENDING"]
