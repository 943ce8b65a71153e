"""A card on a 1,000-task array costs the same requests per watcher tick as a card on one job:
one accounting listing per tick (asking for the array by its one id), and one batched tail
command per poll, counted at the facility (as tests/client/test_watch.py counts)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sfapi_jupyter.facility.server import LocalFacility
from sfapi_jupyter.notebook import submit_job
from sfapi_jupyter.notebook.controllers import TAIL_INTERVAL
from sfapi_jupyter.notebook.session import set_client
from sfapi_jupyter.widgets.support.formatting import is_terminal
from sfapi_jupyter.widgets.support.mainthread import dispatcher

from ..support.facility import fast_config, make_client
from ..support.request_log import API, RequestLog, Seen, count_ticks, log_requests
from .conftest import script, wait_for

TASKS = 1000


@pytest.fixture(scope="module")
def logged(tmp_path_factory) -> Iterator[tuple[LocalFacility, RequestLog]]:
    log = RequestLog()
    config = fast_config(
        tmp_path_factory.mktemp("logged"), nodes={"perlmutter": 500, "dtns": 2, "dtn01": 1}
    )
    with log_requests(LocalFacility(config), log) as facility:
        yield facility, log


@pytest.fixture
def session(logged, data_dir):
    facility, log = logged
    sync = make_client(facility, facility.create_client("loretta"))
    set_client(sync)
    yield log
    set_client(None)
    sync.close()
    dispatcher().drain()


def watch_card(log: RequestLog, cell: str, tasks: int) -> tuple[list[list[Seen]], float]:
    """Submit ``cell`` and follow its card to the end: the requests of each watcher tick,
    and how long the card was followed."""
    job, card = submit_job(cell)
    watcher = job.aio.machine.watcher
    ticks = count_ticks(watcher, log)
    began = time.monotonic()

    def done() -> bool:
        if tasks == 1:
            return is_terminal(card.state) and bool(card.cost)
        return len(card.tasks) == tasks and all(is_terminal(t["state"]) for t in card.tasks)

    try:
        wait_for(done, timeout=300, what="the card to see the end")
    finally:
        del watcher.poll_once
    return ticks, time.monotonic() - began


def per_tick(ticks: list[list[Seen]], jobid_count: int) -> None:
    for requests in ticks:
        listings = [r for r in requests if r.is_listing]
        assert len(listings) == 1, requests  # one listing answers for every task
        assert len(listings[0].jobids) == jobid_count, listings[0].jobids
        others = [r for r in requests if not r.is_listing]
        # Nothing per task: the only other requests are the batched tail's commands (a POST,
        # then a look at its task until it is done).
        assert all(is_tail(r) for r in others), others


def is_tail(r: Seen) -> bool:
    return r.path == f"{API}/utilities/command/perlmutter" or r.path.startswith(f"{API}/tasks/")


def commands(ticks: list[list[Seen]]) -> int:
    return sum(1 for t in ticks for r in t if r.method == "POST")


def test_a_1000_task_array_costs_what_one_job_costs_per_tick(session):
    log = session
    start = len(log.seen)
    one_ticks, one_time = watch_card(log, script("sleep 2", "-J one"), 1)
    one_tails = commands(one_ticks)
    array_start = len(log.seen)
    many_ticks, many_time = watch_card(log, script("sleep 2", f"--array=0-{TASKS - 1}"), TASKS)
    many_tails = commands(many_ticks)
    per_tick(one_ticks, 1)
    per_tick(many_ticks, 1)  # the array asked for by its one id, not 1,000
    # One tail command per poll however many tasks there are.
    assert many_tails <= many_time / TAIL_INTERVAL + 2
    assert one_tails <= one_time / TAIL_INTERVAL + 2
    print(  # the figures for the report (pytest -s)
        f"one job: {len(one_ticks)} ticks, {len(log.seen[start:array_start])} requests in "
        f"{one_time:.1f}s; {TASKS}-task array: {len(many_ticks)} ticks, "
        f"{len(log.seen[array_start:])} requests in {many_time:.1f}s; listing bytes per tick "
        f"{max(r.sent for t in one_ticks for r in t if r.is_listing)} vs "
        f"{max(r.sent for t in many_ticks for r in t if r.is_listing)}"
    )
