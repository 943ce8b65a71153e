"""``/status``, ``/meta`` and ``/account`` over plain HTTP, and admin changes made with the CLI.

The CLI works on the state directory, not through the server, so each admin test checks
that a running server shows the change on the very next request.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from sfapi_jupyter.cli import main

from ..support.tokens import task_result
from ..support.waiting import wait_for

RESOURCES = {"perlmutter", "dtns", "dtn01", "spin", "globus"}
STATUS_VALUES = {"active", "unavailable", "degraded", "other"}
OUTAGE_STATUSES = {"Active", "Cancelled", "Completed", "Extended", "Planned"}


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def admin(facility, *argv: str) -> None:
    """Run an admin command of the CLI against the facility's state directory."""
    assert main(["facility", *argv, "--state", str(facility.config.state_dir)]) == 0


# -- status ---------------------------------------------------------------------------------------
def test_status_lists_every_resource_under_both_spellings(anonymous) -> None:
    with_slash, without = anonymous.get("status/"), anonymous.get("status")
    assert with_slash.status_code == without.status_code == 200  # never a 307
    assert with_slash.json() == without.json()
    statuses = with_slash.json()
    assert {s["name"] for s in statuses} >= RESOURCES
    for status in statuses:
        assert status["status"] in STATUS_VALUES
        assert isinstance(status["notes"], list)
        assert when(status["updated_at"]).tzinfo is not None
        assert status["system_type"] in {"compute", "filesystem", "service", "storage"}


def test_status_of_one_resource_and_of_an_unknown_one(anonymous) -> None:
    perlmutter = anonymous.get("status/perlmutter").json()
    assert perlmutter["name"] == "perlmutter"
    assert perlmutter["full_name"] == "Perlmutter"
    assert perlmutter["status"] == "active" and perlmutter["description"] == "System is active"
    missing = anonymous.get("status/cori")
    assert missing.status_code == 404
    assert "Not found" in missing.json()["detail"] and "cori" in missing.json()["detail"]


def test_notes_grouped_per_resource(anonymous) -> None:
    groups = anonymous.get("status/notes").json()
    names = [{note["name"] for note in group} for group in groups]
    assert all(len(n) == 1 for n in names)  # one resource per inner list
    flat = [n.pop() for n in names]
    assert len(flat) == len(set(flat))  # each resource once
    assert "perlmutter" in flat
    notes = anonymous.get("status/notes/perlmutter").json()
    assert notes and all(n["name"] == "perlmutter" for n in notes)
    assert all(isinstance(n["active"], bool) and when(n["timestamp"]) for n in notes)
    assert anonymous.get("status/notes/jupyter").json() == []


def test_outages_grouped_per_resource_past_and_planned(anonymous) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    for path, planned in (("status/outages", False), ("status/outages/planned", True)):
        groups = anonymous.get(path).json()
        assert groups
        seen = []
        for group in groups:
            assert group and len({o["name"] for o in group}) == 1
            seen.append(group[0]["name"])
            for outage in group:
                assert outage["status"] in OUTAGE_STATUSES
                assert when(outage["end_at"]) > when(outage["start_at"])
                assert (when(outage["start_at"]) > now) is planned
                assert (outage["status"] == "Planned") is planned
                assert "update_at" in outage and outage["swo"]
        assert len(seen) == len(set(seen))

    current = anonymous.get("status/outages/perlmutter").json()
    assert current and all(o["name"] == "perlmutter" for o in current)
    assert {o["status"] for o in current} == {"Completed"}
    planned = anonymous.get("status/outages/planned/perlmutter").json()
    assert len(planned) == 1 and when(planned[0]["start_at"]) > now
    assert anonymous.get("status/outages/planned/jupyter").json() == []


def test_meta_changelog_and_config(anonymous) -> None:
    changelog = anonymous.get("meta/changelog").json()
    assert changelog
    dates = [entry["date"] for entry in changelog]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) for d in dates)
    assert dates == sorted(dates, reverse=True)
    assert all(entry["change"] for entry in changelog)
    config = {item["key"]: item["value"] for item in anonymous.get("meta/config").json()}
    assert set(config["compute.targets"].split(",")) == {"perlmutter", "dtns", "dtn01"}


# -- admin changes through the CLI ----------------------------------------------------------------
def test_cli_status_set_shows_at_once(facility, anonymous) -> None:
    admin(facility, "status", "set", "perlmutter", "degraded", "--note", "Scratch is slow")
    perlmutter = anonymous.get("status/perlmutter").json()
    assert perlmutter["status"] == "degraded"
    assert perlmutter["description"] == "System Degraded"
    assert perlmutter["notes"] == ["Scratch is slow"]
    assert dt.datetime.now(dt.timezone.utc) - when(perlmutter["updated_at"]) < dt.timedelta(
        minutes=1
    )
    listed = {s["name"]: s for s in anonymous.get("status").json()}
    assert listed["perlmutter"]["status"] == "degraded"
    assert next(iter(listed)) == "perlmutter"  # its place in the list is kept

    admin(facility, "status", "set", "perlmutter", "active", "--note", "")
    perlmutter = anonymous.get("status/perlmutter").json()
    assert (perlmutter["status"], perlmutter["notes"]) == ("active", [])


def test_cli_status_set_unknown_resource_fails(facility, capsys) -> None:
    code = main(
        ["facility", "status", "set", "cori", "active", "--state", str(facility.config.state_dir)]
    )
    assert code == 2
    assert "no resource 'cori'" in capsys.readouterr().err


def test_cli_outage_add_and_remove(facility, anonymous, capsys) -> None:
    start = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3)
    end = start + dt.timedelta(hours=4)
    admin(
        facility,
        "outage",
        "add",
        "dtns",
        "--start",
        start.isoformat(),
        "--end",
        end.isoformat(),
        "--description",
        "DTN network upgrade",
        "--notes",
        "Transfers will pause",
    )
    outage_id = re.search(r"outage (\d+) added", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    [planned] = anonymous.get("status/outages/planned/dtns").json()
    assert planned["description"] == "DTN network upgrade"
    assert planned["notes"] == "Transfers will pause"
    assert planned["status"] == "Planned"
    assert abs(when(planned["start_at"]) - start) < dt.timedelta(seconds=1)
    grouped = anonymous.get("status/outages/planned").json()
    assert any(group[0]["name"] == "dtns" for group in grouped)

    admin(facility, "outage", "remove", outage_id)
    assert anonymous.get("status/outages/planned/dtns").json() == []

    # A current outage (already started) shows as Active among the outages, not the planned.
    begun = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    admin(
        facility,
        "outage",
        "add",
        "spin",
        "--start",
        begun.isoformat(),
        "--end",
        (begun + dt.timedelta(hours=3)).isoformat(),
        "--description",
        "Spin rolling restart",
    )
    current = anonymous.get("status/outages/spin").json()
    assert [o["status"] for o in current if o["description"] == "Spin rolling restart"] == [
        "Active"
    ]


def test_cli_client_list_and_revoke(facility, red_client, api, capsys) -> None:
    admin(facility, "client", "list", "--json")
    listed = json.loads(capsys.readouterr().out)
    [mine] = [c for c in listed if c["client_id"] == red_client.client_id]
    assert mine["user"] == "elvis" and mine["level"] == "red" and mine["revoked"] is False
    assert "public_jwk" not in mine
    assert red_client.private_key_jwk["d"] not in json.dumps(listed)

    assert api.get("account/").status_code == 200
    admin(facility, "client", "revoke", red_client.client_id)
    refused = api.get("account/")
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    clients = api.get("account/clients")
    assert clients.status_code == 401


# -- validation -----------------------------------------------------------------------------------
def test_machine_outside_the_enum_is_422(api) -> None:
    for path in ("compute/jobs/cori", "utilities/ls/cori/tmp", "utilities/download/cori/x"):
        answer = api.get(path)
        assert answer.status_code == 422
        [error] = answer.json()["detail"]
        assert error["loc"] == ["path", "machine"]
        assert error["msg"] and error["type"] == "enum"
    answer = api.post("utilities/command/cori", data={"executable": "true"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["path", "machine"]


def test_missing_form_field_is_422(api) -> None:
    answer = api.post("compute/jobs/perlmutter", data={"job": "#!/bin/bash\n"})
    assert answer.status_code == 422
    assert ["body", "isPath"] in [e["loc"] for e in answer.json()["detail"]]


# -- account --------------------------------------------------------------------------------------
def test_user_info_self_and_other(facility, api) -> None:
    facility.create_client("priscilla")
    for path in ("account/", "account"):
        me = api.get(path)
        assert me.status_code == 200
        assert me.json()["name"] == "elvis"
    body = api.get("account/").json()
    assert isinstance(body["uid"], int) and body["email"] == "elvis@example.org"
    assert {"firstname", "lastname", "middlename", "workphone", "otherPhones"} <= set(body)
    assert "home" not in body and "scratch" not in body
    other = api.get("account/", params={"username": "priscilla"}).json()
    assert other["name"] == "priscilla" and other["uid"] != body["uid"]
    missing = api.get("account/", params={"username": "nobody"})
    assert missing.status_code == 404 and "nobody" in missing.json()["detail"]


def test_projects_roles_and_clients(facility, red_client, api) -> None:
    projects = api.get("account/projects").json()
    assert len(projects) == 1
    [project] = projects
    assert isinstance(project["id"], int) and project["repo_name"].startswith("m")
    assert project["iris_role"] == "PI"
    for kind in ("cpu", "gpu"):
        given, used = project[f"{kind}_hours_given"], project[f"{kind}_hours_used"]
        assert isinstance(given, float) and 0 <= used < given
        assert project[f"{kind}_project_hours_given"] == given
    assert project["hours_given"] == project["cpu_hours_given"] + project["gpu_hours_given"]

    roles = api.get("account/roles").json()
    assert roles == [{k: project[k] for k in ("id", "description", "repo_name", "iris_role")}]

    green = facility.create_client("elvis", level="green", name="dashboard")
    facility.create_client("priscilla")  # someone else's: not listed
    clients = api.get("account/clients").json()
    assert {c["clientId"] for c in clients} == {red_client.client_id, green.client_id}
    for client in clients:
        assert set(client) == {"name", "clientId", "expiresAt", "comments"}
        assert when(client["expiresAt"]) > dt.datetime.now(dt.timezone.utc)
    by_id = {c["clientId"]: c for c in clients}
    assert by_id[green.client_id]["name"] == "dashboard"
    red_expiry = when(by_id[red_client.client_id]["expiresAt"])
    assert red_expiry < when(by_id[green.client_id]["expiresAt"])  # red clients live shorter


def test_hours_used_grow_after_jobs_ran(api) -> None:
    def used() -> tuple[float, float]:
        project = api.get("account/projects").json()[0]
        return float(project["cpu_hours_used"]), float(project["gpu_hours_used"])

    cpu_before, gpu_before = used()
    jobids = []
    for constraint in ("cpu", "gpu&hbm80g"):
        script = f"#!/bin/bash\n#SBATCH -C {constraint}\n#SBATCH -N 2\nsleep 1\n"
        submitted = api.post("compute/jobs/perlmutter", data={"job": script, "isPath": "false"})
        jobids.append(task_result(api, submitted.json()["task_id"])["jobid"])

    def finished() -> bool:
        rows = api.get(
            "compute/jobs/perlmutter",
            params={"sacct": "true", "kwargs": f"jobid={','.join(jobids)}"},
        ).json()["output"]
        return len(rows) == 2 and all(row["state"] == "COMPLETED" for row in rows)

    wait_for(finished, timeout=30)
    cpu_after, gpu_after = used()
    assert cpu_after > cpu_before  # 2 nodes for about a second each
    assert gpu_after > gpu_before  # gpu&hbm80g is charged to the GPU allocation


def test_groups_create_get_add_remove(facility, api) -> None:
    facility.create_client("priscilla")
    facility.create_client("lisa")
    repo = api.get("account/projects").json()[0]["repo_name"]

    created = api.post("account/groups", data={"name": "band", "repo_name": repo})
    assert created.status_code == 200
    group = created.json()
    assert group["name"] == "band" and isinstance(group["gid"], int)
    assert [u["name"] for u in group["users"]] == ["elvis"]

    added = api.put(
        "account/groups/band", data={"usernames": "priscilla, lisa", "action": "batch_add"}
    ).json()
    assert sorted(u["name"] for u in added["users"]) == ["elvis", "lisa", "priscilla"]
    assert all(isinstance(u["uid"], int) for u in added["users"])
    removed = api.put(
        "account/groups/band", data={"usernames": "lisa", "action": "batch_remove"}
    ).json()
    assert sorted(u["name"] for u in removed["users"]) == ["elvis", "priscilla"]

    fetched = api.get("account/groups/band").json()
    assert fetched == removed
    mine = api.get("account/groups").json()["groups"]
    assert {"band", "elvis", repo} <= {g["name"] for g in mine}


def test_group_errors(facility, api) -> None:
    facility.create_client("priscilla")
    repo = api.get("account/projects").json()[0]["repo_name"]
    their_repo = facility.facility.accounts.get_user("priscilla").projects[0]

    too_long = api.post("account/groups", data={"name": "ninechars", "repo_name": repo})
    assert too_long.status_code == 400 and "longer than 8" in too_long.json()["detail"]
    not_ascii = api.post("account/groups", data={"name": "bänd", "repo_name": repo})
    assert not_ascii.status_code == 400
    not_mine = api.post("account/groups", data={"name": "theirs", "repo_name": their_repo})
    assert not_mine.status_code == 403 and their_repo in not_mine.json()["detail"]
    assert api.post("account/groups", data={"name": "band", "repo_name": repo}).status_code == 200
    duplicate = api.post("account/groups", data={"name": "band", "repo_name": repo})
    assert duplicate.status_code == 409
    assert "already the name of group" in duplicate.json()["detail"]

    unknown = api.put(
        "account/groups/band", data={"usernames": "priscilla,nobody", "action": "batch_add"}
    )
    assert unknown.status_code == 400 and "nobody" in unknown.json()["detail"]
    assert [u["name"] for u in api.get("account/groups/band").json()["users"]] == ["elvis"]

    bad_action = api.put("account/groups/band", data={"usernames": "lisa", "action": "add"})
    assert bad_action.status_code == 422
    assert bad_action.json()["detail"][0]["loc"] == ["body", "action"]
    assert api.get("account/groups/nosuch").status_code == 404
    assert (
        api.put(
            "account/groups/nosuch", data={"usernames": "elvis", "action": "batch_add"}
        ).status_code
        == 404
    )
    # Another project's group may be read but not changed.
    other = api.put(
        f"account/groups/{their_repo}", data={"usernames": "elvis", "action": "batch_add"}
    )
    assert other.status_code == 403
    assert "elvis" not in [
        u["name"] for u in api.get(f"account/groups/{their_repo}").json()["users"]
    ]


@pytest.mark.parametrize("path", ["account/projects", "account/roles", "account/groups"])
def test_account_needs_a_token(anonymous, path) -> None:
    answer = anonymous.get(path)
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert isinstance(answer.json()["detail"], str)


def test_unknown_route_is_404(api) -> None:
    answer = api.get("account/nonsense")
    assert answer.status_code == 404
    assert "detail" in answer.json()
