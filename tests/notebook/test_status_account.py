"""%sfstatus, %sfoutages, %sfaccount and %sfrun in IPython's test shell, against a local
facility: the happy paths, and the bad inputs with the message the user sees."""

from __future__ import annotations

import datetime as dt
import time
import warnings

import pandas as pd
import pytest
from IPython.core.error import UsageError

from sfapi_jupyter import Client
from sfapi_jupyter.client import PermissionDeniedError
from sfapi_jupyter.client._auth import KeyRefusedWarning
from sfapi_jupyter.facility.seed import iso
from sfapi_jupyter.notebook import controllers, status
from sfapi_jupyter.notebook.account import account_view
from sfapi_jupyter.notebook.run import CommandOutput, run_command
from sfapi_jupyter.notebook.session import set_client
from sfapi_jupyter.notebook.status import outage_table, status_board
from sfapi_jupyter.widgets import AccountView, StatusBoard

from ..support.facility import make_client
from ..support.tokens import new_private_key_pem
from .conftest import wait_for


def set_status(facility, name: str, value: str, note: str | None = None) -> None:
    """What ``sfapi-jupyter facility status set`` does, on the running facility."""
    store = facility.facility.store
    doc = store.get_resource(name)
    doc["status"] = value
    doc["notes"] = [note] if note else []
    doc["updated_at"] = iso(dt.datetime.now(dt.timezone.utc))
    store.put_resource(name, doc)


@pytest.fixture
def restore_perlmutter(facility):
    yield
    set_status(facility, "perlmutter", "active")


@pytest.fixture
def no_key(facility, tmp_path, monkeypatch, data_dir):
    """A session with no credentials anywhere."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("SFAPI_CLIENT_ID", "SFAPI_KEY", "SFAPI_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SFAPI_API_URL", facility.api_url)
    monkeypatch.setenv("SFAPI_TOKEN_URL", facility.token_url)
    set_client(None)
    yield
    set_client(None)


def show_board(board: StatusBoard) -> None:
    """A view reports itself on screen, as the browser does."""
    board._handle_custom_msg({"type": "visible", "view": "test-view", "value": True}, [])


def close(widget) -> None:
    controllers.stop(widget)
    widget.close()


# -- %sfstatus ---------------------------------------------------------------------------------
def test_sfstatus_shows_every_resource_grouped_with_outages(ip, client):
    board = ip.run_line_magic("sfstatus", "")
    try:
        assert isinstance(board, StatusBoard)
        groups = {r["name"]: r["group"] for r in board.resources}
        assert groups["perlmutter"] == "compute" and groups["archive"] == "storage"
        assert groups["global_homes"] == "filesystem" and groups["spin"] == "service"
        assert len(groups) >= 30
        # active notes of /status/notes are shown with their resource
        perlmutter = next(r for r in board.resources if r["name"] == "perlmutter")
        assert any("CUDA" in n for n in perlmutter["notes"])
        # planned outages of the next 14 days (archive in 5 days, spin in 11), not later ones
        planned = {o["name"] for o in board.outages}
        assert {"archive", "spin"} <= planned and "perlmutter" not in planned
        assert board.interval == 60
        html = board.summary_html()
        assert "HPSS tape library firmware upgrade" in html and "Compute" in html
    finally:
        close(board)


def test_sfstatus_only_some_resources_and_out(ip, client):
    result = ip.run_line_magic("sfstatus", "perlmutter dtns --out board --interval 5")
    try:
        assert ip.user_ns["board"] is result
        assert sorted(r["name"] for r in result.resources) == ["dtns", "perlmutter"]
        assert result.interval == 5
    finally:
        close(result)


def test_sfstatus_unknown_resource_says_what_exists(ip, client):
    with pytest.raises(UsageError, match=r"no resource 'perlmuter'; did you mean 'perlmutter'"):
        ip.run_line_magic("sfstatus", "perlmuter")
    with pytest.raises(UsageError, match="--interval takes a number of seconds above 0"):
        ip.run_line_magic("sfstatus", "--interval 0")
    with pytest.raises(UsageError, match="--out takes a Python variable name"):
        ip.run_line_magic("sfstatus", "--out 1x")


def test_sfstatus_needs_no_credentials(ip, no_key):
    board = ip.run_line_magic("sfstatus", "perlmutter")
    try:
        assert board.status_of("perlmutter") == "active"
        assert board.notice == ""
    finally:
        close(board)


def test_sfstatus_with_a_refused_key_goes_on_and_says_so_once(ip, facility, data_dir):
    creds = facility.create_client("elvis")
    facility.facility.accounts.revoke_client(creds.client_id)
    sync = make_client(facility, creds)
    set_client(sync)
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            board = ip.run_line_magic("sfstatus", "perlmutter")
            again = ip.run_line_magic("sfstatus", "dtns")
        refused = [r for r in records if issubclass(r.category, KeyRefusedWarning)]
        assert len(refused) == 1
        assert f"refused client {creds.client_id}" in str(refused[0].message)
        assert board.status_of("perlmutter") == "active"
        assert "Your API key was refused" in board.notice
        assert "refused" in board.summary_html()
        close(board)
        close(again)
        # what needs the key says why it fails
        with pytest.raises(UsageError, match=r"Reading the account failed: .*refused"):
            ip.run_line_magic("sfaccount", "")
    finally:
        set_client(None)
        sync.close()


def test_sfstatus_with_an_unusable_key_file_reads_without_it(
    ip, no_key, tmp_path, monkeypatch, capsys
):
    key = tmp_path / "key.pem"
    key.write_text("abcdefghijklm\n" + new_private_key_pem())
    key.chmod(0o644)
    monkeypatch.setenv("SFAPI_KEY", str(key))
    monkeypatch.setattr(status, "_anonymous", None)
    board = ip.run_line_magic("sfstatus", "perlmutter")
    try:
        assert board.status_of("perlmutter") == "active"
        err = capsys.readouterr().err
        assert "can be read by other users" in err and "without a key" in err
    finally:
        close(board)
        if status._anonymous is not None:
            status._anonymous.close()


def test_board_refreshes_while_visible_and_marks_the_change(client, facility, restore_perlmutter):
    board = status_board(client=client, interval=0.2)
    try:
        feed = controllers.CONTROLLERS[board]
        assert board.status_of("perlmutter") == "active" and board.changed == []
        show_board(board)
        set_status(facility, "perlmutter", "degraded", "Scratch is slow: metadata server failover")
        wait_for(lambda: board.status_of("perlmutter") == "degraded", what="the degraded status")
        row = next(r for r in board.resources if r["name"] == "perlmutter")
        assert row["changed"] and row["was"] == "active"
        assert "Scratch is slow: metadata server failover" in row["notes"]
        assert board.changed == ["perlmutter"]
        assert feed.refreshes >= 1
        board._handle_custom_msg({"type": "seen"}, [])
        assert board.changed == []
    finally:
        close(board)


def test_board_is_not_refreshed_while_no_view_shows_it(client):
    board = status_board(client=client, interval=0.1)
    try:
        feed = controllers.CONTROLLERS[board]
        before = client.aio.request_count
        time.sleep(1.0)
        assert feed.refreshes == 0 and client.aio.request_count == before
        board._handle_custom_msg({"type": "refresh"}, [])  # the Refresh button
        wait_for(lambda: feed.refreshes == 1, what="a refresh on request")
    finally:
        close(board)


def test_one_refresh_is_one_request(client):
    board = status_board(client=client, interval=0.1)
    try:
        feed = controllers.CONTROLLERS[board]
        before = client.aio.request_count
        show_board(board)
        wait_for(lambda: feed.refreshes >= 3, what="three refreshes")
        close(board)
        requests = client.aio.request_count - before
        # token renewals aside, each refresh was exactly GET /status
        assert requests == feed.refreshes
    finally:
        close(board)


# -- %sfoutages --------------------------------------------------------------------------------
def test_sfoutages_current_and_planned(ip, client):
    frame = ip.run_line_magic("sfoutages", "")
    assert isinstance(frame, pd.DataFrame)
    columns = ["resource", "status", "start", "end", "description", "notes", "swo", "updated"]
    assert list(frame.columns) == columns
    assert {"perlmutter", "dtns", "globus"} <= set(frame["resource"])
    assert frame["start"].is_monotonic_increasing
    planned = ip.run_line_magic("sfoutages", "--planned perlmutter --out upcoming")
    assert ip.user_ns["upcoming"] is planned
    assert list(planned["resource"]) == ["perlmutter"]
    assert planned.loc[0, "description"].startswith("Scheduled maintenance: OS image update")


def test_sfoutages_bad_input(ip, client):
    with pytest.raises(UsageError, match="no resource 'cori'"):
        ip.run_line_magic("sfoutages", "cori")


def test_outage_table_needs_no_credentials(no_key):
    assert len(outage_table("archive", planned=True)) == 1


# -- %sfaccount --------------------------------------------------------------------------------
def test_sfaccount_shows_projects_and_the_client(ip, client):
    view = ip.run_line_magic("sfaccount", "--out account")
    assert isinstance(view, AccountView) and ip.user_ns["account"] is view
    assert view.user["name"] == "elvis"
    frame = view.dataframe
    assert list(frame.columns)[:3] == ["project", "description", "role"]
    assert len(frame) >= 1
    row = frame.iloc[0]
    assert row["cpu_left"] == pytest.approx(row["cpu_given"] - row["cpu_used"])
    api = view.api_client
    assert api["client_id"] == client.aio.credentials.client_id
    assert api["level"] == "red" and api["ip_ranges"] == ["127.0.0.0/8", "::1/128"]
    # a red client lives two days: the expiry warning is there
    texts = [m["text"] for m in view.messages]
    assert any("expires in" in t and "Iris" in t for t in texts)
    state = {k: v for k, v in view.get_state().items() if not k.startswith("_")}
    assert "PRIVATE KEY" not in str(state) and "BEGIN" not in str(state)


def test_sfaccount_warns_that_a_green_client_cannot_submit(ip, facility, data_dir):
    creds = facility.create_client("elvis", level="green")
    sync = make_client(facility, creds)
    try:
        view = account_view(sync)
        assert view.api_client["level"] == "green"
        texts = " ".join(m["text"] for m in view.messages)
        assert "green" in texts and "cannot submit jobs" in texts
        assert "expires in" not in texts  # 60 days left
    finally:
        sync.close()


def test_sfaccount_without_credentials(ip, no_key):
    with pytest.raises(UsageError, match=r"needs an API client key: put it in ~/\.superfacility/"):
        ip.run_line_magic("sfaccount", "")


# -- %sfrun ------------------------------------------------------------------------------------
def test_sfrun_shows_stdout_stderr_and_exit_code_apart(ip, client):
    result = ip.run_line_magic("sfrun", "--out r echo out; echo 'two  spaces' >&2; exit 3")
    assert isinstance(result, CommandOutput) and ip.user_ns["r"] is result
    assert result.output == "out\n" and result.error == "two  spaces\n"
    assert result.exit_code == 3 and not result.ok
    html = result._repr_html_()
    assert "exit code 3" in html and "stderr" in html and "stdout" in html
    ok = ip.run_line_magic("sfrun", "-m perlmutter hostname")
    assert ok.ok and ok.machine == "perlmutter" and ok.output.strip()


def test_sfrun_bad_input(ip, client):
    with pytest.raises(UsageError, match="needs a command"):
        ip.run_line_magic("sfrun", "")
    with pytest.raises(UsageError, match="Running the command failed"):
        ip.run_line_magic("sfrun", "-m nowhere hostname")


def test_sfrun_without_credentials(ip, no_key):
    with pytest.raises(UsageError, match="needs an API client"):
        ip.run_line_magic("sfrun", "hostname")


def test_sfrun_with_a_green_client(facility, data_dir):
    creds = facility.create_client("elvis", level="green")
    green = Client(
        facility.api_url, facility.token_url, client_id=creds.client_id, key=creds.private_key_pem
    )
    try:
        with pytest.raises(PermissionDeniedError) as caught:
            run_command("hostname", client=green)
        assert "red" in caught.value.message
    finally:
        green.close()
