"""One ``%%sfjob`` cell checks its script once and asks the facility only what it needs.

The cell prints the script's warnings, warns about the machine (status, outages, the
project's balance), submits and looks once at the new job. The script is parsed once for
all of that, and the machine's status is read once: the warnings and the submit's
availability check share the read.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest

from sfapi_jupyter.client._loop import LoopThread
from sfapi_jupyter.client.scripts import _check, _directives
from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.notebook import submit
from sfapi_jupyter.notebook.session import set_client

from ..support.facility import CountingTransport, make_client
from .conftest import script


@pytest.fixture(scope="module")
def creds(facility) -> NewClient:
    # Its own user: an OS account is the host's, so this module runs beside another
    # facility's tests (which use elvis) on the same machine.
    return facility.create_client("gladys")


def requests_until_the_card(ip, facility, creds, monkeypatch, cell: str) -> list[str]:
    """The requests one ``%%sfjob`` cell makes before its card starts following the job
    (after that the card's own feed polls, as it should)."""
    transport = CountingTransport()
    sync = make_client(facility, creds, transport=transport)
    set_client(sync)
    seen: list[str] = []
    original = submit.start_card

    def start_card(*args, **kwargs):
        seen.extend(transport.requests)
        return original(*args, **kwargs)

    monkeypatch.setattr(submit, "start_card", start_card)
    try:
        ip.run_cell_magic("sfjob", "", cell)
    finally:
        set_client(None)
        sync.close()
    return seen


def kind(request: str) -> str:
    """``"GET /api/v1.2/status/perlmutter"`` -> ``"GET status/perlmutter"``."""
    method, path = request.split(" ", 1)
    if path.endswith("/token"):
        return "token"
    path = re.sub(r"^.*?/api/v[\d.]+/", "", path)
    path = re.sub(r"^tasks/[^/]+$", "tasks/ID", path)
    return f"{method} {path}"


def test_one_sfjob_cell_makes_only_the_requests_it_needs(
    ip, facility, creds, data_dir, monkeypatch
):
    cell = script("echo counted", "-J counted")
    made = Counter(kind(r) for r in requests_until_the_card(ip, facility, creds, monkeypatch, cell))
    polls = made.pop("GET tasks/ID", 0)
    assert polls >= 1, made  # the submit's task, until it has the job id
    assert made == Counter(
        {
            "token": 1,
            "GET status/perlmutter": 1,  # once: the warnings and the submit share it
            "GET status/outages/perlmutter": 1,
            "GET status/outages/planned/perlmutter": 1,
            "GET account/projects": 1,
            "POST compute/jobs/perlmutter": 1,
            "GET compute/jobs/perlmutter": 1,  # the first look at the new job
        }
    ), made


def test_one_sfjob_cell_parses_its_script_once(ip, client, monkeypatch, capsys):
    scans = []
    real_scan = _directives.scan

    def counting_scan(text, offset):
        scans.append(text)
        return real_scan(text, offset)

    # Every parse of #SBATCH lines goes through scan (check_script, parse_directives,
    # prepare_script and the submit's check alike).
    monkeypatch.setattr(_directives, "scan", counting_scan)
    monkeypatch.setattr(_check, "scan", counting_scan)
    card = ip.run_cell_magic("sfjob", "", script("# SBATCH -N 2\necho once", "-J parsed-once"))
    assert card.jobid
    assert len(scans) == 1
    # ... and its warnings are printed once, by the cell, not again by the client.
    assert capsys.readouterr().out.count("is ignored by sbatch") == 1


def test_one_sfjob_cell_blocks_on_the_client_loop_once(ip, client, monkeypatch):
    trips = []
    real_run = LoopThread.run

    def counting_run(self, coro, timeout=None):
        trips.append(getattr(coro, "__qualname__", repr(coro)))
        return real_run(self, coro, timeout)

    monkeypatch.setattr(LoopThread, "run", counting_run)
    card = ip.run_cell_magic("sfjob", "", script("echo one trip", "-J one-trip"))
    assert card.jobid
    # The warnings, the submit and the first look are one coroutine; the card's feed then
    # runs on the loop without blocking the cell.
    assert len(trips) == 1, trips
