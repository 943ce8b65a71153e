"""The job card's array task grid, cost panel and resubmit against the local facility (real
processes): a task that fails, its output picked from the grid, the failed task sent again as
one new array; a job killed OUT_OF_MEMORY with its advice; and what a 1,000-task array costs
in requests per watcher tick, counted at the facility."""

from __future__ import annotations

import pytest

from sfapi_jupyter.client.models import JobState
from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.notebook import job_card, submit_job
from sfapi_jupyter.widgets.support.formatting import is_terminal

from ..support.figures import record_bad_input
from ..widgets.test_widgets import from_js
from .conftest import finish, script, wait_for

ARRAY_BODY = """
echo "task $SLURM_ARRAY_TASK_ID says hi"
if [ "$SLURM_ARRAY_TASK_ID" = 1 ]; then echo "task 1 broke" >&2; exit 3; fi
"""


@pytest.fixture(scope="module")
def creds(facility) -> NewClient:
    return facility.create_client("patsy")  # its own OS account beside other modules' elvis


def ended(card) -> bool:
    return len(card.tasks) == 3 and all(is_terminal(t["state"]) for t in card.tasks)


def test_array_grid_shows_a_failed_tasks_output_and_resubmits_only_it(client):
    job, card = submit_job(script(ARRAY_BODY, "--array=0-2", "-J grid"))
    wait_for(lambda: ended(card), what="the three tasks to end")
    states = {t["task"]: (t["state"], t["exit_code"]) for t in card.tasks}
    assert states == {"0": ("COMPLETED", 0), "1": ("FAILED", 3), "2": ("COMPLETED", 0)}
    assert card.failed_tasks() == ["1"] and card.can_resubmit
    assert card.cost == {} and "cost" not in card.message  # a cost is per job, not per array

    task1 = next(t["jobid"] for t in card.tasks if t["task"] == "1")
    from_js(card, {"type": "task", "jobid": task1})
    wait_for(lambda: "task 1 broke" in card.output(), what="task 1's output")
    assert card.task_shown == task1
    assert card.stdout_path.endswith(f"slurm-{job.jobid}_1.out")
    assert card.output().splitlines() == ["task 1 says hi", "task 1 broke"]

    from_js(card, {"type": "resubmit"})
    wait_for(lambda: bool(card.resubmitted), what="the resubmitted array")
    assert f"as job {card.resubmitted}" in card.message
    again = job_card(card.resubmitted)
    wait_for(lambda: bool(again.tasks) and all(is_terminal(t["state"]) for t in again.tasks))
    assert [(t["task"], t["state"]) for t in again.tasks] == [("1", "FAILED")]
    assert again.array and again.failed_tasks() == ["1"]


def test_cost_panel_of_a_finished_job(client):
    body = "python3 -c \"b = b'x' * (40 << 20); import time; time.sleep(1.5)\""
    _job, card = submit_job(script(body, "--mem=1G", "-J costly"))
    finish(card)
    wait_for(lambda: bool(card.cost), what="the cost panel")
    cost = card.cost
    assert cost["state"] == "COMPLETED" and not cost["out_of_memory"] and not cost["advice"]
    assert 30 << 20 <= cost["peak_memory"] <= 200 << 20 and cost["memory"] == 1 << 30
    assert cost["elapsed"] >= 1 and 0 <= cost["cpu_efficiency"] <= 1
    assert cost["charged_node_hours"] is None  # NERSC's QOS factors are not in the data file
    html = card.summary_html()
    assert "of 1G" in html and "no QOS charge factor known" in html


def test_an_out_of_memory_job_says_what_to_ask_for(client):
    body = "python3 -c \"b = b'x' * (200 << 20); import time; time.sleep(5)\""
    _job, card = submit_job(script(body, "--mem=64M", "-J greedy"))
    finish(card, JobState.OUT_OF_MEMORY.value)
    wait_for(lambda: bool(card.cost), what="the cost panel")
    assert card.cost["out_of_memory"]
    assert "ran out of memory" in card.cost["advice"] and "--mem=" in card.cost["advice"]
    assert "ran out of memory" in card.summary_html()


def test_a_task_whose_output_file_is_gone_says_so(client):
    body = 'if [ "$SLURM_ARRAY_TASK_ID" = 1 ]; then rm -f "slurm-${SLURM_ARRAY_JOB_ID}_1.out"; fi'
    _job, card = submit_job(script(body, "--array=0-1", "-J gone"))
    wait_for(lambda: len(card.tasks) == 2 and all(is_terminal(t["state"]) for t in card.tasks))
    task1 = next(t["jobid"] for t in card.tasks if t["task"] == "1")
    from_js(card, {"type": "task", "jobid": task1})
    wait_for(lambda: card.message.startswith("No output"), what="the card to say why")
    assert card.message_level == "warning" and card.output() == ""
    assert card.message == (
        f"No output: {card.stdout_path} does not exist on perlmutter (never written, or removed)."
    )
    record_bad_input("widget", "JobCard: a task whose output file was removed", card.message)
