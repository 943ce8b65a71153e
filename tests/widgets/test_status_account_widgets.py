"""StatusBoard and AccountView as state holders: grouping, change marks, visibility, the
outage window, static summaries; the account's client state and warnings."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from sfapi_jupyter.client.models import ApiClient, Note, Outage, Status
from sfapi_jupyter.notebook.account import account_messages, client_state
from sfapi_jupyter.widgets import AccountView, StatusBoard
from sfapi_jupyter.widgets.status_board import group_of, relevant_outages
from sfapi_jupyter.widgets.support.static_html import FALLBACK_NOTE

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.timezone.utc)
DAY = dt.timedelta(days=1)


def st(name: str, status: str = "active", kind: str = "compute", **kw: Any) -> Status:
    return Status(name=name, status=status, system_type=kind, full_name=name.title(), **kw)


def outage(name: str, start: dt.datetime, hours: float, text: str, **kw: Any) -> Outage:
    return Outage(
        name=name, start_at=start, end_at=start + dt.timedelta(hours=hours), description=text, **kw
    )


def test_groups_follow_system_type() -> None:
    groups = [group_of(x) for x in ("compute", "filesystem", "storage", "service", "", None)]
    assert groups == ["compute", "filesystem", "storage", "service", "other", "other"]


def test_board_marks_changes_until_seen() -> None:
    board = StatusBoard()
    board.update([st("perlmutter"), st("spin", kind="service")], [], now=NOW)
    assert board.changed == []
    board.update([st("perlmutter", "unavailable"), st("spin", kind="service")], now=NOW + DAY)
    row = board.resources[0]
    assert row["changed"] and row["was"] == "active" and row["changed_at"]
    # still marked on the next refresh, with the time it was first seen
    board.update([st("perlmutter", "unavailable"), st("spin", kind="service")], now=NOW + 2 * DAY)
    assert board.resources[0]["changed_at"] == row["changed_at"]
    board.mark_seen()
    assert board.changed == []
    board.update([st("perlmutter", "unavailable", notes=["back at 6pm"])], now=NOW + 3 * DAY)
    assert board.changed == ["perlmutter"] and board.resources[0]["was"] == ""


def test_board_only_keeps_the_asked_resources_and_active_notes() -> None:
    board = StatusBoard(only=["perlmutter"])
    notes = [
        Note(name="perlmutter", notes="CUDA 12.4 default", active=True),
        Note(name="perlmutter", notes="old news", active=False),
    ]
    board.update([st("perlmutter"), st("dtns")], [], notes, now=NOW)
    assert [r["name"] for r in board.resources] == ["perlmutter"]
    assert board.resources[0]["notes"] == ["CUDA 12.4 default"]


def test_outage_window_keeps_now_and_the_next_14_days() -> None:
    rows = relevant_outages(
        [
            outage("perlmutter", NOW - 2 * DAY, 3, "past"),
            outage("perlmutter", NOW - dt.timedelta(hours=1), 3, "now"),
            outage("archive", NOW + 5 * DAY, 6, "soon"),
            outage("spin", NOW + 20 * DAY, 6, "later"),
            outage("dtns", NOW + DAY, 2, "cancelled", status="Cancelled"),
        ],
        NOW,
        14,
    )
    assert [(r["description"], r["current"]) for r in rows] == [("now", True), ("soon", False)]


def test_visibility_drives_refresh_requests() -> None:
    board = StatusBoard()
    asked: list[int] = []
    board.on("refresh", lambda: asked.append(1))
    assert not board.visible
    board._handle_custom_msg({"type": "visible", "view": "a", "value": True}, [])
    board._handle_custom_msg({"type": "visible", "view": "b", "value": True}, [])
    assert board.visible and len(asked) == 1  # a view came back: refresh at once
    board._handle_custom_msg({"type": "visible", "view": "a", "value": False}, [])
    assert board.visible
    board._handle_custom_msg({"type": "visible", "view": "b", "value": False}, [])
    assert not board.visible
    board._handle_custom_msg({"type": "refresh"}, [])
    assert len(asked) == 2


def test_board_static_summary() -> None:
    board = StatusBoard()
    statuses = [st("perlmutter", "degraded", notes=["slow scratch"]), st("archive", kind="storage")]
    board.update(statuses, [outage("archive", NOW + 5 * DAY, 6, "Tape upgrade")], now=NOW)
    board.notice = "Your API key was refused"
    html = board.summary_html()
    shown = ("Degraded", "slow scratch", "Tape upgrade", "Compute", "Storage")
    for text in (*shown, "Your API key was refused", escape(FALLBACK_NOTE)):
        assert text in html
    assert board.summary_text() == "StatusBoard: 1 degraded, 1 up"


def test_client_state_from_the_facility_and_from_nersc() -> None:
    facility = ApiClient(
        name="c",
        clientId="abc",
        expiresAt=(NOW + DAY).isoformat(),
        comments="red client, source ranges 127.0.0.0/8, ::1/128",
    )
    state = client_state(facility, now=NOW)
    assert state["level"] == "red" and state["ip_ranges"] == ["127.0.0.0/8", "::1/128"]
    assert state["expires_in_s"] == 86400
    nersc = ApiClient(
        name="beamline",
        clientId="xyz",
        expiresAt=(NOW + 50 * DAY).isoformat(),
        comments="ALS beamline 7.0.1",
    )
    inferred = client_state(nersc, now=NOW)
    assert inferred["level"] == "green" and inferred["level_source"] == "lifetime"
    assert inferred["ip_ranges"] == []
    texts = [m["text"] for m in account_messages(inferred, [], token_only=False)]
    assert any("cannot submit jobs" in t for t in texts)
    soon = account_messages(state, [], token_only=False)
    assert soon[0]["level"] == "warning" and "expires in 1d 00h" in soon[0]["text"]


def test_account_messages_for_projects_running_out() -> None:
    projects = [
        {"project": "m1", "cpu_given": 100.0, "cpu_left": 5.0, "gpu_given": 0.0, "gpu_left": 0.0}
    ]
    texts = [m["text"] for m in account_messages({}, projects, token_only=True)]
    assert "Project m1 has 5 of 100 CPU node-hours left." in texts
    assert any("access token" in t for t in texts)


def test_account_view_static_summary_and_dataframe() -> None:
    view = AccountView(
        user={"name": "elvis", "firstname": "Elvis"},
        projects=[
            {
                "project": "m1234",
                "description": "Beamline",
                "role": "PI",
                "cpu_given": 1000.0,
                "cpu_used": 250.0,
                "cpu_left": 750.0,
                "gpu_given": 100.0,
                "gpu_used": 95.0,
                "gpu_left": 5.0,
            }
        ],
        api_client={
            "name": "c",
            "level": "red",
            "ip_ranges": ["127.0.0.0/8"],
            "expires_at": "2026-12-01T12:00:00+00:00",
        },
        messages=[{"level": "warning", "text": "This client expires in 1d 00h"}],
    )
    html = view.summary_html()
    usage = ("750 of 1,000 left", "5 of 100 left")
    for text in ("elvis", "m1234", *usage, "127.0.0.0/8", "expires in 1d 00h"):
        assert text in html
    frame = view.dataframe
    assert frame.loc[0, "gpu_left"] == 5.0
    assert view.summary_text() == "AccountView: elvis, 1 project(s), client red"
