"""The defects an attacker found (issue 10, items 2-9), each tried again and refused.

Item 1 (commands and jobs as the facility's OS user) is in ``test_isolation.py``.
"""

from __future__ import annotations

import os
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from sfapi_jupyter.facility import FacilityConfig, create_app
from sfapi_jupyter.facility.models import AccountError
from sfapi_jupyter.facility.server import LocalFacility

from ..support.tokens import api_session, make_assertion, task_result, token_form
from ..support.waiting import wait_for
from .test_api_jobs import script, submit

YEAR_3000 = 32503680000


def token_response(facility: LocalFacility, assertion: str, **headers: str) -> httpx.Response:
    return httpx.post(facility.token_url, data=token_form(assertion), headers=headers)


def transfer(api: httpx.Client, source: str | Path, target: str | Path) -> dict:
    data = {"source_uuid": "dtn", "target_uuid": "dtn", "source_dir": str(source)}
    body: dict = api.post(
        "storage/globus/transfer", data={**data, "target_dir": str(target)}
    ).json()
    return body


def transfer_end(api: httpx.Client, transfer_id: str, timeout: float = 20) -> dict:
    def done() -> dict | None:
        body: dict = api.get(f"storage/globus/transfer/{transfer_id}").json()
        return None if body["globus_status"] == "ACTIVE" else body

    return wait_for(done, timeout)


@pytest.fixture
def home(facility, api) -> Path:
    del api
    path: Path = facility.config.home_of("elvis")
    return path


# -- 2. X-Forwarded-For ----------------------------------------------------------------------------
def test_forwarded_for_does_not_pass_a_clients_ip_ranges(facility):
    ten = facility.create_client("elvis", ip_ranges=["10.0.0.0/8"])
    forged = {"X-Forwarded-For": "10.1.1.1", "X-Real-IP": "10.1.1.1", "Forwarded": "for=10.1.1.1"}
    answer = token_response(facility, make_assertion(ten, facility.token_url), **forged)
    assert answer.status_code == 403, answer.text
    assert "may not be used from an address" in answer.json()["error_description"]
    # an access token for it (as if stolen) is refused on API calls the same way
    token = facility.facility.tokens.issue(facility.facility.store.get_client(ten.client_id))
    headers = {"Authorization": f"Bearer {token['access_token']}", **forged}
    call = httpx.get(facility.api_url + "/account/", headers=headers)
    assert call.status_code == 403, call.text


def test_forwarded_for_is_refused_even_by_a_server_started_with_uvicorns_defaults(tmp_path):
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise; the app holds."""
    app = create_app(FacilityConfig(state_dir=tmp_path / "s"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: server.started, timeout=30)
        port = server.servers[0].sockets[0].getsockname()[1]
        token_url = f"http://127.0.0.1:{port}/c2id/token"
        ten = app.state.facility.accounts.create_client("elvis", ip_ranges=["10.0.0.0/8"])
        answer = httpx.post(
            token_url,
            data=token_form(make_assertion(ten, token_url)),
            headers={"X-Forwarded-For": "10.1.1.1"},
        )
        assert answer.status_code == 403, answer.text
        loopback = app.state.facility.accounts.create_client("elvis")
        plain = httpx.post(token_url, data=token_form(make_assertion(loopback, token_url)))
        assert plain.status_code == 200, plain.text
    finally:
        server.should_exit = True
        thread.join(30)
        app.state.facility.close()


def test_forwarded_for_counts_from_a_proxy_the_admin_trusts(tmp_path):
    config = FacilityConfig(state_dir=tmp_path / "s", trusted_proxies=("127.0.0.1",))
    with LocalFacility(config) as facility:
        ten = facility.create_client("elvis", ip_ranges=["10.0.0.0/8"])
        assertion = make_assertion(ten, facility.token_url)
        answer = token_response(facility, assertion, **{"X-Forwarded-For": "10.1.1.1"})
        assert answer.status_code == 200, answer.text


# -- 3. transfers of special files; transfers cut by a restart ------------------------------------
def test_a_transfer_of_a_fifo_or_device_fails_at_once(facility, api, home):
    os.mkfifo(home / "pipe")
    specials = [home / "pipe"]
    if os.geteuid() == 0:  # only root can make a device node: /dev/zero's twin
        os.mknod(home / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))
        specials.append(home / "zero")
    for special in specials:
        started = time.monotonic()
        body = transfer(api, special, home / "out")
        assert body["status"] == "OK", body
        end = transfer_end(api, body["transfer_id"], timeout=10)
        assert end["globus_status"] == "FAILED", end
        assert "not a regular file, directory or symlink" in end["reason"]
        assert time.monotonic() - started < 10
        assert not (home / "out" / special.name).exists()


def test_special_files_inside_a_tree_are_skipped(facility, api, home):
    tree = home / "tree"
    tree.mkdir()
    (tree / "data.txt").write_text("data")
    os.mkfifo(tree / "pipe")
    os.symlink("data.txt", tree / "link")
    if os.geteuid() == 0:
        for path in (home, tree, tree / "data.txt"):
            os.lchown(path, *_ids(facility))
    body = transfer(api, tree, home / "copy")
    end = transfer_end(api, body["transfer_id"])
    assert end["globus_status"] == "SUCCEEDED", end
    assert end["bytes_transferred"] == 4 and "skipped 1 special file" in end["reason"]
    assert (home / "copy" / "tree" / "data.txt").read_text() == "data"
    assert os.readlink(home / "copy" / "tree" / "link") == "data.txt"
    assert not (home / "copy" / "tree" / "pipe").exists()


def _ids(facility: LocalFacility) -> tuple[int, int]:
    user = facility.facility.accounts.get_user("elvis")
    assert user is not None
    return user.uid, user.gid


def test_transfers_cut_by_a_restart_end_failed(tmp_path):
    config = FacilityConfig(state_dir=tmp_path / "s")
    with LocalFacility(config) as facility:
        facility.create_client("elvis")
        facility.facility.store.put_transfer(
            "cut-off", "elvis", {"status": "OK", "reason": None, "globus_status": "ACTIVE"}
        )
    with LocalFacility(FacilityConfig(state_dir=tmp_path / "s")) as again:
        doc = again.facility.store.get_transfer("cut-off")
        assert doc is not None and doc["globus_status"] == "FAILED"
        assert "restarted" in doc["reason"]


# -- 4. client assertions: jti, lifetime, nbf, iat ------------------------------------------------
class Later(int):
    """A time claim this many seconds after the test runs (not after collection)."""


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        ({"jti": None}, "needs a jti claim"),
        ({"exp": YEAR_3000}, "lives too long"),
        ({"lifetime": 3600 * 25}, "lives too long"),  # NERSC's shell example: +24 h
        ({"iat": None, "exp": Later(7200)}, "lives too long"),
        ({"nbf": Later(600)}, "not valid yet (nbf)"),
        ({"iat": Later(600)}, "issued in the future (iat)"),
        ({"nbf": "soon"}, "numeric nbf"),
    ],
)
def test_assertions_that_could_be_replayed_or_live_forever_are_refused(
    facility, red_client, claims, message
):
    now = int(time.time())
    claims = {k: now + v if isinstance(v, Later) else v for k, v in claims.items()}
    answer = token_response(facility, make_assertion(red_client, facility.token_url, **claims))
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "invalid_client"
    assert message in answer.json()["error_description"]


def test_an_assertion_without_jti_cannot_be_used_three_times(facility, red_client):
    assertion = make_assertion(red_client, facility.token_url, jti=None)
    assert [token_response(facility, assertion).status_code for _ in range(3)] == [401] * 3


def test_an_hour_long_assertion_as_authlib_makes_it_is_accepted_once(facility, red_client):
    assertion = make_assertion(red_client, facility.token_url, lifetime=3600)
    assert token_response(facility, assertion).status_code == 200
    assert token_response(facility, assertion).status_code == 401


# -- 5. the audience is the facility's own token URL, never the Host header's ---------------------
def test_audience_from_the_host_header_is_refused(facility, red_client):
    evil = make_assertion(red_client, "http://evil.example/c2id/token")
    answer = token_response(facility, evil, Host="evil.example")
    assert answer.status_code == 401, answer.text
    assert facility.token_url in answer.json()["error_description"]
    # loopback spellings of the listening address are the same server
    alias = facility.token_url.replace("127.0.0.1", "localhost")
    assert token_response(facility, make_assertion(red_client, alias)).status_code == 200


def test_a_configured_public_url_is_the_only_audience(tmp_path):
    config = FacilityConfig(state_dir=tmp_path / "s", public_url="https://sfapi.example.org/")
    with LocalFacility(config) as facility:
        client = facility.create_client("elvis")
        public = make_assertion(client, "https://sfapi.example.org/c2id/token")
        assert token_response(facility, public).status_code == 200
        local = make_assertion(client, facility.token_url)
        assert token_response(facility, local).status_code == 401


# -- 6. long names --------------------------------------------------------------------------------
def test_a_250_character_name_uploads_and_a_256_character_one_is_refused_cleanly(api, home):
    ok = home / ("a" * 250)
    response = api.put(f"utilities/upload/perlmutter/{ok}", files={"file": ("f", b"fits")})
    assert response.status_code == 200 and response.json()["status"] == "OK", response.text
    assert ok.read_bytes() == b"fits"
    assert [p.name for p in home.iterdir() if p.name.endswith(".part")] == []

    long = home / ("b" * 256)
    for answer in (
        api.put(f"utilities/upload/perlmutter/{long}", files={"file": ("f", b"x")}),
        api.get(f"utilities/download/perlmutter/{long}"),
        api.get(f"utilities/ls/perlmutter/{long}"),
    ):
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ERROR"
        assert "File name too long" in answer.json()["error"]
    # the connection and the server are fine afterwards
    assert api.get(f"utilities/ls/perlmutter/{home}").json()["status"] == "OK"


def test_paths_over_4096_characters_get_an_error_not_a_500(api, home):
    deep = str(home) + "/d" * 2100
    for answer in (
        api.put(f"utilities/upload/perlmutter/{deep}", files={"file": ("f", b"x")}),
        api.get(f"utilities/download/perlmutter/{deep}"),
        api.get(f"utilities/ls/perlmutter/{deep}"),
    ):
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "ERROR"
        assert "File name too long" in answer.json()["error"]
    body = transfer(api, deep, home)
    assert body["status"] == "ERROR" and "File name too long" in body["reason"]


# -- 7. project names from the admin CLI ----------------------------------------------------------
@pytest.mark.parametrize("project", ["../homes/alice", "a/b", "..", ".", "", "x" * 33, "1234"])
def test_project_names_that_are_not_group_names_are_refused(facility, project):
    facility.create_client("alice")
    with pytest.raises(AccountError, match="not a valid project name"):
        facility.create_client("carol", projects=[project])
    assert facility.facility.store.get_user("carol") is None
    assert (
        not (facility.config.fs_root / "projects" / "..")
        .resolve()
        .samefile(facility.config.home_of("alice"))
    )


@pytest.mark.parametrize("project", ["m1234", "nstaff", "t-3x9q1z", "lsst_dc2", "Desi"])
def test_real_project_names_are_accepted(facility, project):
    facility.create_client("carol", projects=[project])
    user = facility.facility.accounts.get_user("carol")
    assert user is not None and user.projects == (project,)


# -- 8. job ids too large for Slurm (and SQLite) --------------------------------------------------
def test_a_30_digit_job_id_is_an_invalid_job_id(api):
    huge = "1" * 30
    one = api.get(f"compute/jobs/perlmutter/{huge}").json()
    assert one["status"] == "ERROR" and "Invalid job id" in one["error"]
    listed = api.get("compute/jobs/perlmutter", params={"kwargs": f"jobid={huge}"}).json()
    assert listed["status"] == "ERROR" and "invalid job id" in listed["error"]
    cancel = api.delete(f"compute/jobs/perlmutter/{huge}").json()
    result = task_result(api, cancel["task_id"])
    assert result["_status"] == "completed"
    assert result["error"] == f"scancel: error: Invalid job id {huge}"
    dependent = submit(api, script("true", f"--dependency=afterok:{huge}"))
    assert dependent["_status"] == "completed", dependent
    assert (
        dependent["error"] == "sbatch: error: Batch job submission failed: Job dependency problem"
    )


def test_a_huge_array_range_is_refused_at_once(api):
    started = time.monotonic()
    result = submit(api, script("true", "--array=0-999999999999"))
    assert "Invalid job array specification" in result["error"]
    assert time.monotonic() - started < 10


# -- 9. names NERSC accepts -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["t-3x9q1z", "a", "grp_1", "a.b", "Ab9"])
def test_group_names_nersc_and_unix_accept(api, name):
    repo = api.get("account/projects").json()[0]["repo_name"]
    created = api.post("account/groups", data={"name": name, "repo_name": repo})
    assert created.status_code == 200, created.text
    assert created.json()["name"] == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("toolong99", "longer than 8"),
        ("a/b", "use ASCII letters"),
        ("-lead", "use ASCII letters"),
        ("123", "all digits"),
        ("..", "names a directory"),
        ("grüppe", "use ASCII letters"),
        ("", "empty"),
    ],
)
def test_group_names_unix_refuses_are_refused(api, name, why):
    repo = api.get("account/projects").json()[0]["repo_name"]
    answer = api.post("account/groups", data={"name": name, "repo_name": repo})
    assert answer.status_code in (400, 422), answer.text
    if answer.status_code == 400:
        assert why in answer.json()["detail"]


@pytest.mark.parametrize("user", ["Elvis", "e.presley", "_svc", "a" * 32])
def test_user_names_unix_accepts(facility, user):
    assert facility.create_client(user).user == user


@pytest.mark.parametrize("user", ["a" * 33, "al/ice", "1234", "-x", "ünïcode", ".."])
def test_user_names_unix_refuses(facility, user):
    with pytest.raises(AccountError, match="not a valid user name"):
        facility.create_client(user)


def test_a_host_account_is_never_adopted(facility):
    if os.geteuid() != 0:
        pytest.skip("only a root facility makes OS accounts")
    with pytest.raises(AccountError, match="did not create"):
        facility.create_client("daemon")


@pytest.fixture
def mallory(facility) -> Iterator[httpx.Client]:
    with api_session(facility, facility.create_client("mallory")) as session:
        yield session
