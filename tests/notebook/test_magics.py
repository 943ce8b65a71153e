"""The job magics in IPython's test shell, against a local facility.

Widgets are the real ones; updates reach them only through the main-thread dispatcher, so
every wait here polls with ``dispatcher().wait_until`` (as a blocked cell does).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from IPython.core.error import UsageError

from sfapi_jupyter.client import Job, JobState
from sfapi_jupyter.facility.seed import iso
from sfapi_jupyter.notebook import queue
from sfapi_jupyter.notebook.records import forget_records, job_records
from sfapi_jupyter.notebook.session import set_client
from sfapi_jupyter.widgets import JobCard, LogTail, QueueTable

from ..support.facility import make_client
from .conftest import finish, script, shown_cards, wait_for


def jobs_named(client, name: str) -> list[Job]:
    return [j for j in client.compute("perlmutter").jobs(sacct=True) if j.name == name]


# -- %%sfjob ------------------------------------------------------------------------------------
def test_sfjob_cell_submits_and_returns_a_live_card(ip, client):
    card = ip.run_cell_magic("sfjob", "", script("echo hello; sleep 1; echo bye", "-J first"))
    assert isinstance(card, JobCard)
    job = ip.user_ns["job"]
    assert isinstance(job, Job) and card.jobid == job.jobid
    wait_for(lambda: card.state == "COMPLETED" and "bye" in card.output("stdout"), what="card")
    assert card.output("stdout").splitlines() == ["hello", "bye"]
    assert card.stdout_path.endswith(f"slurm-{job.jobid}.out")
    record = job_records().get(client.aio.api_base_url, "perlmutter", job.jobid)
    assert record is not None and record.name == "first"
    wait_for(
        lambda: (
            job_records().get(client.aio.api_base_url, "perlmutter", job.jobid).state == "COMPLETED"
        ),
        what="the record",
    )


def test_sfjob_out_binds_another_variable_and_passes_args(ip, client):
    cell = script('echo "args: $1 $2"', "-J with-args", "-o out-%j.txt", "-e err-%j.txt")
    card = ip.run_cell_magic("sfjob", "--out myjob --args first 'second one'", cell)
    assert ip.user_ns["myjob"].jobid == card.jobid
    wait_for(lambda: "args:" in card.output("stdout"), what="the output")
    finish(card)
    assert card.output("stdout").strip() == "args: first second one"
    assert card.stdout_path.endswith(f"out-{card.jobid}.txt")
    assert card.stderr_path.endswith(f"err-{card.jobid}.txt")


def test_sfjob_wait_blocks_until_the_end_with_the_output_in_the_card(ip, client, monkeypatch):
    shown = shown_cards(monkeypatch)
    updates = []
    monkeypatch.setattr(
        "IPython.display.update_display", lambda obj, **kwargs: updates.append((obj, kwargs))
    )
    cell = script(
        "for i in 1 2 3; do echo line $i; sleep 0.3; done; echo oops >&2",
        "-J waited",
        "-e waited-%j.err",
    )
    assert ip.run_cell_magic("sfjob", "--wait --timeout 120", cell) is None
    (card,) = shown
    assert card.state == "COMPLETED"  # no waiting needed: --wait returned after the end
    assert card.output("stdout").splitlines() == ["line 1", "line 2", "line 3"]
    assert card.output("stderr").strip() == "oops"
    assert ip.user_ns["job"].state is JobState.COMPLETED
    # The final summary replaces the displayed card's output, for the saved notebook.
    ((bundle, kwargs),) = updates
    assert kwargs["display_id"] == card.display_id and kwargs["raw"]
    assert "COMPLETED" in bundle["text/html"] and "line 3" in bundle["text/html"]


def test_sfjob_wait_timeout_returns_with_the_job_still_running(ip, client, monkeypatch, capsys):
    shown_cards(monkeypatch)
    ip.run_cell_magic("sfjob", "--timeout 0.5", script("sleep 30", "-J slow"))
    assert "still" in capsys.readouterr().out
    job = ip.user_ns["job"]
    assert not job.is_terminal
    job.cancel()


def test_sfjob_once_attaches_to_the_running_job_then_submits_again(ip, client):
    cell = script("sleep 30", "-J once-only")
    first = ip.run_cell_magic("sfjob", "--once", cell)
    second = ip.run_cell_magic("sfjob", "--once", cell)
    assert second.jobid == first.jobid
    assert len(jobs_named(client, "once-only")) == 1
    ip.user_ns["job"].cancel()
    finish(first, "CANCELLED")
    third = ip.run_cell_magic("sfjob", "--once", cell)
    assert third.jobid != first.jobid
    assert len(jobs_named(client, "once-only")) == 2
    ip.user_ns["job"].cancel()


def test_sfjob_prints_script_warnings(ip, client, capsys):
    cell = "\n#!/bin/bash\n#SBATCH -C cpu\necho hi\n#SBATCH -J late\n"
    card = ip.run_cell_magic("sfjob", "", cell)
    out = capsys.readouterr().out
    assert "line 5: warning: #SBATCH after the first command (line 4)" in out
    assert "no -t/--time" in out
    finish(card)


@pytest.mark.parametrize(
    ("line", "cell", "message"),
    [
        ("", "echo no shebang\n", "line 1"),
        ("", "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH --time=soon\necho\n", "line 3"),
        ("", "#!/bin/bash\n#SBATCH --frobnicate 3\necho\n", "line 2"),
        ("", "   \n", "needs a batch script"),
        ("--bogus", "#!/bin/bash\necho\n", "unrecognized arguments"),
        ("--timeout soon", "#!/bin/bash\necho\n", "--timeout"),
        ("--timeout -1", "#!/bin/bash\necho\n", "--timeout"),
        ("--out 2x", "#!/bin/bash\necho\n", "--out"),
    ],
)
def test_sfjob_bad_input_is_a_usage_error(ip, client, line, cell, message):
    with pytest.raises(UsageError, match=message):
        ip.run_cell_magic("sfjob", line, cell)


def test_sfjob_warns_of_an_outage_within_the_walltime(ip, client, facility, capsys):
    now = dt.datetime.now(dt.timezone.utc)
    outage_id = facility.facility.store.add_outage(
        {
            "name": "perlmutter",
            "start_at": iso(now + dt.timedelta(minutes=20)),
            "end_at": iso(now + dt.timedelta(hours=2)),
            "description": "Rolling upgrade",
            "notes": "",
            "status": None,
            "swo": "sched",
            "update_at": iso(now),
        }
    )
    try:
        long = ip.run_cell_magic("sfjob", "", script("echo long", "-t 01:00:00", "-J long"))
        assert "outage of perlmutter" in capsys.readouterr().out
        assert "Rolling upgrade" in long.message and long.message_level == "warning"
        short = ip.run_cell_magic("sfjob", "", script("echo short", "-t 00:10:00", "-J short"))
        assert "outage" not in capsys.readouterr().out and not short.message
    finally:
        facility.facility.store.remove_outage(outage_id)
    finish(long)
    finish(short)


def test_sfjob_warns_of_a_degraded_machine(ip, client, facility, capsys):
    store = facility.facility.store
    before = store.get_resource("perlmutter")
    store.put_resource("perlmutter", {**before, "status": "degraded", "notes": ["scratch slow"]})
    try:
        card = ip.run_cell_magic("sfjob", "", script("echo hi", "-J degraded"))
    finally:
        store.put_resource("perlmutter", before)
    assert "perlmutter is degraded: scratch slow" in capsys.readouterr().out
    assert "degraded" in card.message
    finish(card)


# -- %sfjob -------------------------------------------------------------------------------------
def test_sfjob_line_reattaches_to_an_existing_job(ip, client):
    job = client.compute("perlmutter").submit(script("sleep 1; echo from outside", "-J outside"))
    card = ip.run_line_magic("sfjob", job.jobid)
    assert isinstance(card, JobCard) and card.jobid == job.jobid and card.name == "outside"
    wait_for(lambda: card.state == "COMPLETED" and "outside" in card.output("stdout"))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "arguments are required"),
        ("abc", "not a job id"),
        ("12x", "not a job id"),
        ("987654321", "not known"),
        ("1 -m", "expected one argument"),
    ],
)
def test_sfjob_line_bad_input_is_a_usage_error(ip, client, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("sfjob", line)


# -- %sfjobs ------------------------------------------------------------------------------------
def test_sfjobs_lists_jobs_and_moves_finished_ones_to_done(ip, client, monkeypatch):
    monkeypatch.setattr(queue, "QUEUE_INTERVAL", 0.3)
    card = ip.run_cell_magic("sfjob", "", script("sleep 2", "-J listed"))
    table = ip.run_line_magic("sfjobs", "--out queue")
    assert isinstance(table, QueueTable) and ip.user_ns["queue"] is table
    assert table.user == "elvis"

    def row():
        return next((r for r in table.rows if r["jobid"] == card.jobid), None)

    wait_for(lambda: row() is not None and not row()["done"], what="the job queued")
    wait_for(lambda: row()["done"] and row()["state"] == "COMPLETED", what="the job done")
    everyone = ip.run_line_magic("sfjobs", "--all")
    assert everyone.user == ""
    with pytest.raises(UsageError, match="unrecognized"):
        ip.run_line_magic("sfjobs", "--mine")
    with pytest.raises(UsageError, match="--out"):
        ip.run_line_magic("sfjobs", "--out 9")
    for widget in (table, everyone):
        widget.close()


def test_recorded_jobs_survive_a_kernel_restart(ip, client, facility, creds, monkeypatch):
    monkeypatch.setattr(queue, "QUEUE_INTERVAL", 0.3)
    card = ip.run_cell_magic("sfjob", "", script("echo kept", "-J kept", "-o kept-%j.log"))
    jobid = card.jobid
    finish(card)
    # A restart: a new client and a new shell namespace; only the data file is left.
    restarted = make_client(facility, creds)
    set_client(restarted)
    forget_records()
    ip.reset()
    try:
        table = ip.run_line_magic("sfjobs", "")
        wait_for(lambda: any(r["jobid"] == jobid and r["done"] for r in table.rows))
        assert next(r for r in table.rows if r["jobid"] == jobid)["state"] == "COMPLETED"
        again = ip.run_line_magic("sfjob", jobid)
        assert again.stdout_path.endswith(f"kept-{jobid}.log")  # from the record
        wait_for(lambda: again.state == "COMPLETED" and "kept" in again.output("stdout"))
        table.close()
    finally:
        restarted.close()


# -- %sftail ------------------------------------------------------------------------------------
def test_sftail_follows_a_jobs_output(ip, client):
    job = client.compute("perlmutter").submit(
        script("for i in 1 2 3; do echo step $i; sleep 0.5; done", "-J tailed")
    )
    tail = ip.run_line_magic("sftail", job.jobid)
    assert isinstance(tail, LogTail)
    wait_for(lambda: "ended" in tail.status, what="the tail to end with the job")
    assert tail.lines == ["step 1", "step 2", "step 3"]


def test_sftail_reads_the_last_lines_of_a_file(ip, client, facility):
    path = f"{facility.config.home_of('elvis')}/numbers.txt"
    client.compute("perlmutter").files.upload(
        "".join(f"{i}\n" for i in range(1, 21)).encode(), path
    )
    tail = ip.run_line_magic("sftail", f"{path} --no-follow -n 5")
    wait_for(lambda: tail.status == "end of file", what="the file to be read")
    assert tail.lines == ["16", "17", "18", "19", "20"]
    missing = ip.run_line_magic("sftail", f"{path}.nope --no-follow")
    wait_for(lambda: "error" in missing.status)
    assert "No such file" in missing.status


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("", "arguments are required"),
        ("run.log -n 0", "-n"),
        ("run.log -n x", "invalid int"),
        ("12_", "not a job id"),
        ("run.log --follow", "unrecognized"),
    ],
)
def test_sftail_bad_input_is_a_usage_error(ip, client, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("sftail", line)


# -- %sfcancel ----------------------------------------------------------------------------------
def test_sfcancel_cancels_and_shows_the_states(ip, client):
    card = ip.run_cell_magic("sfjob", "", script("sleep 60", "-J doomed"))
    wait_for(lambda: card.state == "RUNNING", what="the job to run")
    jobs = ip.run_line_magic("sfcancel", card.jobid)
    assert [j.state for j in jobs] == [JobState.CANCELLED]
    assert "CANCELLED" in repr(jobs)
    finish(card, "CANCELLED")


@pytest.mark.parametrize(
    ("line", "message"),
    [("", "arguments are required"), ("abc", "not a job id"), ("987654321", "Cancelling failed")],
)
def test_sfcancel_bad_input_is_a_usage_error(ip, client, line, message):
    with pytest.raises(UsageError, match=message):
        ip.run_line_magic("sfcancel", line)


# -- secrets and errors --------------------------------------------------------------------------
def test_no_secret_in_widget_state(ip, client, creds):
    card = ip.run_cell_magic("sfjob", "", script("echo public", "-J secret-free"))
    finish(card)
    token = client.aio._auth._token  # the access token the client holds now
    assert token
    key_lines = [ln for ln in creds.private_key_pem.splitlines() if ln and "-----" not in ln]
    state = json.dumps(card.get_state(), default=str) + json.dumps(card.refresh_static())
    for secret in (token, *key_lines):
        assert secret not in state


def test_api_errors_are_short_usage_errors(ip, client):
    with pytest.raises(UsageError, match="failed"):
        ip.run_line_magic("sfjob", "12 -m no-such-machine")
