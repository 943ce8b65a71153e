"""Accounts and groups under a tutorial's load and a hostile user (issue 14).

- Accounts made at once by many admin commands (an instructor's script) each get their own
  uid, their own personal group and their project; run as root with real ``useradd``.
- The facility never adopts an OS account or group it did not make.
- Groups never meet names they do not own: an API group named like a future user, like the
  next default project, like ``docker`` or another facility's project.
- Only a group's owner or its project's PI may change it.
- Account creation checks everything before it changes anything; a failure half-way is undone.

Every refusal's message is recorded for docs/bad-inputs.md.
"""

from __future__ import annotations

import grp
import os
import pwd
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sfapi_jupyter.cli import main as cli_main
from sfapi_jupyter.facility.accounts import Accounts
from sfapi_jupyter.facility.core import Facility
from sfapi_jupyter.facility.models import AccountError
from sfapi_jupyter.facility.os_accounts import os_group, os_user
from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import fast_config, new_client, serve
from tests.support.figures import record, record_bad_input
from tests.support.tokens import api_session

SECTION = "accounts"
ADMIN = "facility admin (`sfapi-jupyter facility`)"
ATTACK = "facility (attack)"
root_only = pytest.mark.skipif(os.geteuid() != 0, reason="OS accounts need the facility as root")


@pytest.fixture
def state(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("accounts")
    if os.geteuid() == 0:
        base.chmod(0o711)
    return base / "state"


@pytest.fixture
def site(state) -> Iterator[LocalFacility]:
    with serve(fast_config(state)) as running:
        yield running


@pytest.fixture
def mallory(site) -> Iterator[httpx.Client]:
    with api_session(site, new_client(site, "mallory")) as session:
        yield session


def admin(state: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    """``sfapi-jupyter facility client create ...`` in process: (exit code, stderr)."""
    capsys.readouterr()
    code = cli_main(["facility", "client", "create", "--state", str(state), "--json", *args])
    return code, capsys.readouterr().err


def nothing_of(site: LocalFacility, user: str, *groups: str) -> None:
    """``user`` (and ``groups``) exist neither in the facility nor, run as root, on the host."""
    store = site.facility.store
    assert store.get_user(user) is None
    assert not store.memberships(user) and not store.groups_of(user)
    if os.geteuid() == 0:
        accounts = site.facility.accounts
        assert os_user(user) is None or store.os_made("user", user) is None
        assert store.os_made("group", user) is None  # the personal group
        for group in groups:
            assert store.os_made("group", accounts.os_group_name(group)) is None


# -- many accounts at once ---------------------------------------------------------------------
@root_only
def test_twenty_accounts_made_at_once_each_get_their_own_ids_and_groups(state):
    names = [f"room{n:02d}" for n in range(1, 21)]
    cli = "import sys; from sfapi_jupyter.cli import main; sys.exit(main(sys.argv[1:]))"
    command = [sys.executable, "-c", cli, "facility", "client", "create"]
    start = time.perf_counter()
    procs = [
        subprocess.Popen(
            [*command, "--user", name, "--state", str(state), "--json"],
            stdout=subprocess.DEVNULL,  # the private keys
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in names
    ]
    failed = {}
    for name, proc in zip(names, procs, strict=True):
        err = proc.communicate(timeout=300)[1]
        if proc.returncode:
            failed[name] = err
    record(SECTION, "accounts made by 20 admin commands at once", time.perf_counter() - start, "s")
    record(SECTION, "accounts of 20 made at once that failed", len(failed), zero=True)
    assert not failed, failed

    # Each account its own uid, with a primary group of its own name (the race of issue 14
    # gave one user another's group, or no account at all).
    entries = [pwd.getpwnam(name) for name in names]
    assert len({e.pw_uid for e in entries}) == 20
    for entry in entries:
        assert entry.pw_gid == grp.getgrnam(entry.pw_name).gr_gid

    facility = Facility(fast_config(state))  # a start: every account is the facility's own
    try:
        accounts = facility.accounts
        project_gids = set()
        for entry in entries:
            user = accounts.get_user(entry.pw_name)
            assert user is not None and len(user.projects) == 1
            assert (entry.pw_uid, entry.pw_gid) == (user.uid, user.gid)
            project = facility.store.get_group(user.projects[0])
            os_project = grp.getgrnam(accounts.os_group_name(user.projects[0]))
            assert os_project.gr_gid == project["gid"] and entry.pw_name in os_project.gr_mem
            assert accounts.credentials(user).groups == (project["gid"],)  # type: ignore[union-attr]
            project_gids.add(project["gid"])
        assert len(project_gids) == 20 and not {e.pw_uid for e in entries} & project_gids
    finally:
        facility.close()


# -- what the facility did not make ------------------------------------------------------------
@root_only
def test_an_account_the_facility_did_not_make_is_never_adopted(site, capsys):
    # What the race of issue 14 left behind: an account with the facility's old marker whose
    # primary group is another user's group.
    new_client(site, "victim")
    victim_gid = site.facility.accounts.get_user("victim").gid
    useradd = ["useradd", "--uid", "79990", "--gid", str(victim_gid), "--no-create-home"]
    subprocess.run([*useradd, "--comment", "sfapi-jupyter facility user", "stray"], check=True)
    try:
        code, message = admin(site.config.state_dir, capsys, "--user", "stray")
        assert code == 2 and "this facility did not create" in message
        assert "userdel stray" in message and "Traceback" not in message
        record_bad_input(ADMIN, "client create --user stray (an OS account made by hand)", message)
        nothing_of(site, "stray")
        code, message = admin(site.config.state_dir, capsys, "--user", "daemon")
        assert code == 2 and "did not create (uid 1)" in message
        record_bad_input(ADMIN, "client create --user daemon (the host's account)", message)
    finally:
        subprocess.run(["userdel", "stray"], check=False)


@root_only
def test_another_facilitys_user_and_project_are_not_this_ones(site, tmp_path_factory, capsys):
    new_client(site, "yan", projects=["m5001"])
    other_state = tmp_path_factory.mktemp("other") / "state"
    os.chmod(other_state.parent, 0o711)
    with serve(fast_config(other_state)) as other:
        code, message = admin(other_state, capsys, "--user", "yan")
        assert code == 2 and "another sfapi-jupyter facility's" in message
        record_bad_input(ADMIN, "client create --user yan (another facility's user)", message)
        new_client(other, "zoe", projects=["m5001"])  # a project of the same name: its own
        ours, theirs = (f.facility.store.get_group("m5001")["gid"] for f in (site, other))
        assert ours != theirs
        assert "zoe" not in grp.getgrgid(ours).gr_mem and "yan" not in grp.getgrgid(theirs).gr_mem


# -- squatting -----------------------------------------------------------------------------------
def test_a_group_named_like_a_future_user_cannot_take_that_account(site, mallory, capsys):
    repo = mallory.get("account/projects").json()[0]["repo_name"]
    assert mallory.post("account/groups", data={"name": "carol", "repo_name": repo}).is_success
    code, message = admin(site.config.state_dir, capsys, "--user", "carol")
    assert code == 2 and "already the name of group 'carol'" in message
    assert "choose another user name" in message and "nothing was changed" in message
    record_bad_input(ADMIN, "client create --user carol (a group someone made first)", message)
    nothing_of(site, "carol")
    members = mallory.get("account/groups/carol").json()["users"]
    assert [u["name"] for u in members] == ["mallory"]
    code, _ = admin(site.config.state_dir, capsys, "--user", "carol")  # a retry: the same
    assert code == 2
    nothing_of(site, "carol")


def test_squatting_the_next_default_projects_does_not_stop_account_creation(site, mallory):
    repo = mallory.get("account/projects").json()[0]["repo_name"]  # m4001
    for name in ("m4002", "m4003"):
        answer = mallory.post("account/groups", data={"name": name, "repo_name": repo})
        assert answer.is_success, answer.text
    new_client(site, "dave")
    assert site.facility.accounts.get_user("dave").projects == ("m4004",)
    assert site.facility.store.get_group("m4004")["owner"] == "dave"


def test_a_project_named_like_a_group_or_a_user_is_refused_before_any_change(site, mallory, capsys):
    repo = mallory.get("account/projects").json()[0]["repo_name"]
    assert mallory.post("account/groups", data={"name": "beam", "repo_name": repo}).is_success
    for project, given in (("beam", "a group's name"), ("mallory", "a user's name")):
        code, message = admin(site.config.state_dir, capsys, "--user", "erin", "--project", project)
        assert code == 2 and "choose another project name" in message
        record_bad_input(ADMIN, f"client create --user erin --project {project} ({given})", message)
        nothing_of(site, "erin")
    code, message = admin(site.config.state_dir, capsys, "--user", "frank", "--project", "frank")
    assert code == 2 and "personal group" in message
    record_bad_input(ADMIN, "client create --user frank --project frank", message)
    nothing_of(site, "frank")


@pytest.mark.parametrize("name", ["docker", "lxd", "libvirt", "wheel", "admin", "sudo", "root"])
def test_groups_named_like_the_hosts_never_become_the_hosts(site, mallory, name):
    before = os_group(name)
    repo = mallory.get("account/projects").json()[0]["repo_name"]
    answer = mallory.post("account/groups", data={"name": name, "repo_name": repo})
    assert answer.status_code == 200, answer.text
    assert answer.json()["name"] == name  # the API shows the API's name
    after = os_group(name)
    assert (before is None and after is None) or (
        before is not None and after is not None and "mallory" not in after.gr_mem
    )
    if os.geteuid() == 0:
        mine = grp.getgrnam(site.facility.accounts.os_group_name(name))
        assert mine.gr_name.startswith("sf") and mine.gr_name.endswith(f"-{name}")
        assert mine.gr_gid == answer.json()["gid"] and mine.gr_mem == ["mallory"]
        restarted = Facility(site.config)  # a start makes the host match again: not the host's
        try:
            assert os_group(name) == after
        finally:
            restarted.close()


# -- who may change a group ----------------------------------------------------------------------
def test_only_the_owner_or_the_pi_may_change_a_group(site):
    pi, member, outsider = (
        new_client(site, user, projects=["m6001"] if user != "oscar" else None)
        for user in ("paula", "mike", "oscar")
    )
    with (
        api_session(site, member) as mike,
        api_session(site, pi) as paula,
        api_session(site, outsider) as oscar,
    ):

        def change(session: httpx.Client, group: str, users: str, action: str) -> httpx.Response:
            data = {"usernames": users, "action": action}
            return session.put(f"account/groups/{group}", data=data)

        refused = change(mike, "m6001", "paula", "batch_remove")
        assert refused.status_code == 403
        assert "only its owner (paula) or the PI of project 'm6001'" in refused.json()["detail"]
        record_bad_input(
            ATTACK,
            "a project Member removes the PI from the project's group",
            refused.json()["detail"],
        )
        assert change(mike, "m6001", "oscar", "batch_add").status_code == 403
        personal = change(mike, "paula", "mike", "batch_add")
        assert personal.status_code == 403 and "personal group" in personal.json()["detail"]
        record_bad_input(
            ATTACK, "adding oneself to another user's personal group", personal.json()["detail"]
        )
        members = [u["name"] for u in paula.get("account/groups/m6001").json()["users"]]
        assert sorted(members) == ["mike", "paula"]

        # mike's own group in the project: mike and the PI may change it, oscar may not
        assert mike.post("account/groups", data={"name": "mikes", "repo_name": "m6001"}).is_success
        assert change(paula, "mikes", "oscar", "batch_add").status_code == 200
        assert change(oscar, "mikes", "mike", "batch_remove").status_code == 403
        assert change(mike, "mikes", "oscar", "batch_remove").status_code == 200
    if os.geteuid() == 0:
        os_name = site.facility.accounts.os_group_name("m6001")
        assert sorted(grp.getgrnam(os_name).gr_mem) == ["mike", "paula"]


# -- half-made accounts ---------------------------------------------------------------------------
def test_an_account_that_fails_half_way_is_undone_and_a_retry_works(site, monkeypatch):
    store = site.facility.store
    real = store.put_project

    def disk_full(*args: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(store, "put_project", disk_full)
    with pytest.raises(sqlite3.OperationalError):
        new_client(site, "gina", projects=["m8001"])
    nothing_of(site, "gina", "m8001")
    if os.geteuid() == 0:
        assert os_user("gina") is None and os_group("gina") is None
    monkeypatch.setattr(store, "put_project", real)
    new_client(site, "gina", projects=["m8001"])
    assert site.facility.accounts.get_user("gina").projects == ("m8001",)


@root_only
def test_a_host_step_that_fails_half_way_is_undone(site, monkeypatch, capsys):
    import sfapi_jupyter.facility.host_accounts as host

    real = host.create_os_group

    def refuse_projects(name: str, gid: int) -> None:
        if name != "hank":
            raise host.OSAccountError(f"groupadd --gid {gid} {name} failed: cannot lock /etc/group")
        real(name, gid)

    monkeypatch.setattr(host, "create_os_group", refuse_projects)
    code, message = admin(site.config.state_dir, capsys, "--user", "hank")
    assert code == 2 and "nothing was changed" in message
    assert os_user("hank") is None and os_group("hank") is None
    nothing_of(site, "hank")
    monkeypatch.setattr(host, "create_os_group", real)
    assert admin(site.config.state_dir, capsys, "--user", "hank")[0] == 0
    assert pwd.getpwnam("hank").pw_gid == grp.getgrnam("hank").gr_gid


def test_account_creation_is_serialised_by_a_lock_across_processes(site):
    accounts: Accounts = site.facility.accounts
    with accounts.lock():
        probe = subprocess.run(
            [sys.executable, "-c", _TRY_LOCK, str(site.config.state_dir)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert probe.stdout.strip() == "busy", probe.stderr
    with pytest.raises(AccountError, match="not a valid user name"):
        accounts.ensure_user("al/ice")


_TRY_LOCK = """
import fcntl, os, sys
from sfapi_jupyter.facility.config import FacilityConfig
from sfapi_jupyter.facility.os_accounts import HOST_LOCK
config = FacilityConfig(state_dir=sys.argv[1])
path = HOST_LOCK if os.geteuid() == 0 else config.private_dir / "accounts.lock"
fd = os.open(path, os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    print("busy")
else:
    print("free")
"""


@root_only
def test_a_state_from_before_the_record_adopts_only_accounts_exactly_as_made(state):
    config = fast_config(state)
    facility = Facility(config)
    for name in ("lee", "kim"):
        facility.accounts.ensure_user(name)
    kim = facility.accounts.get_user("kim")
    prefixes = [f"sf{facility.accounts.tag}-"]
    # As the facility left them before it recorded what it made (and one the race broke).
    with facility.store.transaction() as db:
        db.execute("DELETE FROM os_made")
        db.execute("DELETE FROM meta WHERE key='os_tag'")
    facility.close()  # (the tests' facilities remove their accounts only when recorded)
    for name in ("lee", "kim"):
        subprocess.run(["usermod", "--comment", "sfapi-jupyter facility user", name], check=True)
    subprocess.run(["usermod", "--gid", str(pwd.getpwnam("lee").pw_gid), "kim"], check=True)
    try:
        again = Facility(config)
        prefixes.append(f"sf{again.accounts.tag}-")
        try:
            lee = again.accounts.get_user("lee")
            assert again.accounts.credentials(lee).uid == lee.uid  # type: ignore[union-attr]
            assert pwd.getpwnam("lee").pw_gecos.endswith(again.accounts.tag)
            with pytest.raises(AccountError, match="did not create"):
                again.accounts.credentials(kim)  # type: ignore[arg-type]
        finally:
            again.close()
    finally:
        for name in ("kim", "lee"):
            subprocess.run(["userdel", "--force", name], check=False, capture_output=True)
        for group in grp.getgrall():
            if group.gr_name in ("kim", "lee") or group.gr_name.startswith(tuple(prefixes)):
                subprocess.run(["groupdel", group.gr_name], check=False)


# -- the client's group calls, refused -----------------------------------------------------------
def test_the_clients_group_calls_say_what_went_wrong(site):
    from sfapi_jupyter.client import SfApiError
    from tests.support.facility import sync_client

    new_client(site, "mallory")
    theirs = site.facility.accounts.get_user("mallory").projects[0]
    with sync_client(site, new_client(site, "elvis")) as client:
        mine = client.projects()[0].repo_name
        client.create_group("band", mine)
        tries = {
            "client.create_group('ninechars', project)": lambda: client.create_group(
                "ninechars", mine
            ),
            "client.create_group('band', project) (taken)": lambda: client.create_group(
                "band", mine
            ),
            "client.create_group('elvis', project) (a user's name)": lambda: client.create_group(
                "elvis", mine
            ),
            "client.create_group('x', project) (another's project)": lambda: client.create_group(
                "x", theirs
            ),
            "client.group('nosuch')": lambda: client.group("nosuch"),
            "client.group('band').add('nobody')": lambda: client.group("band").add("nobody"),
            "client.group('band').add([])": lambda: client.group("band").add([]),
            f"client.group('{theirs}').add('elvis') (not yours)": lambda: client.group(theirs).add(
                "elvis"
            ),
        }
        for given, call in tries.items():
            with pytest.raises((SfApiError, ValueError)) as refused:
                call()
            message = str(refused.value)
            assert message and "Traceback" not in message, given
            record_bad_input("function", given, f"{type(refused.value).__name__}: {message}")
        assert client.group("band").member_names == ["elvis"]


@root_only
def test_after_a_tutorial_the_admin_command_removes_the_accounts_and_a_new_room_makes_them(
    state, tmp_path_factory, capsys
):
    assert admin(state, capsys, "--user", "room01")[0] == 0
    assert os_user("room01") is not None
    capsys.readouterr()
    assert cli_main(["facility", "accounts", "remove", "--state", str(state)]) == 0
    said = capsys.readouterr().out
    assert said.startswith("removed ") and "room01" in said, said
    assert os_user("room01") is None and os_group("room01") is None

    # The next tutorial, with a state of its own, makes its own room01 (nothing to refuse).
    other = tmp_path_factory.mktemp("next-room")
    other.chmod(0o711)
    assert admin(other / "state", capsys, "--user", "room01") == (0, "")
    assert os_user("room01") is not None
