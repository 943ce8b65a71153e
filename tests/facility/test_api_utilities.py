"""``/utilities`` over real HTTP: ls, download, upload, commands, and what a user may reach."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.owners import give
from ..support.tokens import api_session, task_result
from ..support.waiting import wait_for

SECRET = "MALLORY-SECRET-4711"
JOB = f"#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t 1\necho {SECRET}\n"


def url(kind: str, path: str | Path) -> str:
    """``utilities/<kind>/perlmutter/<path>`` as clients send it: absolute paths give ``//``."""
    return f"utilities/{kind}/perlmutter/{quote(str(path), safe='/')}"


def ls(api: httpx.Client, path: str | Path) -> dict:
    response = api.get(url("ls", path))
    assert response.status_code == 200, response.text
    return response.json()


def download(api: httpx.Client, path: str | Path, **params: str) -> dict:
    response = api.get(url("download", path), params=params)
    assert response.status_code == 200, response.text
    return response.json()


def upload(api: httpx.Client, path: str | Path, data: bytes) -> dict:
    response = api.put(url("upload", path), files={"file": ("upload", data)})
    assert response.status_code == 200, response.text
    return response.json()


def run(api: httpx.Client, command: str) -> str:
    response = api.post("utilities/command/perlmutter", data={"executable": command})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "OK" and body["error"] is None
    return str(body["task_id"])


@pytest.fixture
def home(facility) -> Path:
    return facility.config.home_of("elvis")


@pytest.fixture
def mallory_home(facility, red_client) -> Path:
    del red_client  # elvis exists first, as in every other test
    facility.create_client("mallory")
    home = facility.config.home_of("mallory")
    (home / "secret.txt").write_text(SECRET)
    (home / "job.sh").write_text(JOB)
    return home


@pytest.fixture
def mallory(facility, mallory_home) -> Iterator[httpx.Client]:
    del mallory_home
    with api_session(facility, facility.create_client("mallory")) as session:
        yield session


def names(listing: dict) -> list[str]:
    return [e["name"] for e in listing["entries"]]


# -- ls ---------------------------------------------------------------------------------------
def test_ls_directory_is_ls_la_with_dot_entries(facility, api, home):
    (home / "data").mkdir()
    (home / "data").chmod(0o755)
    (home / "data" / "a.txt").write_text("hello")
    (home / "data" / "a.txt").chmod(0o644)
    (home / "data" / "sub").mkdir()
    give(facility, "elvis", home / "data")

    listing = ls(api, home / "data")
    assert listing["status"] == "OK" and listing["error"] is None
    assert names(listing) == [".", "..", "a.txt", "sub"]
    by_name = {e["name"]: e for e in listing["entries"]}
    assert by_name["."]["perms"] == "drwxr-xr-x"
    assert by_name["a.txt"]["perms"] == "-rw-r--r--"
    assert by_name["a.txt"]["size"] == 5
    assert by_name["a.txt"]["user"] == "elvis"
    assert by_name["sub"]["perms"].startswith("d")


def test_ls_absolute_path_with_double_slash_reaches_the_server_as_sent(api, home):
    (home / "f.txt").write_text("x")
    assert api.build_request("GET", url("ls", home / "f.txt")).url.raw_path.count(b"//") == 1
    assert names(ls(api, home / "f.txt")) == [str(home / "f.txt")]


def test_ls_file_is_one_entry_named_by_its_path(api, home):
    (home / "notes.txt").write_text("abc")
    listing = ls(api, home / "notes.txt")
    assert listing["status"] == "OK"
    [entry] = listing["entries"]
    assert entry["name"] == str(home / "notes.txt")
    assert entry["perms"].startswith("-") and entry["size"] == 3


def test_ls_relative_path_is_taken_from_the_home(api, home):
    (home / "rel.txt").write_text("abc")
    assert names(ls(api, "rel.txt")) == [str(home / "rel.txt")]
    assert "rel.txt" in names(ls(api, "~"))


def test_ls_symlink_is_one_entry_with_its_target(api, home):
    (home / "target.txt").write_text("t")
    (home / "link").symlink_to(home / "target.txt")
    [entry] = ls(api, home / "link")["entries"]
    assert entry["perms"].startswith("l")
    assert entry["name"] == f"{home / 'link'} -> {home / 'target.txt'}"


def test_ls_missing_path_is_http_200_with_coreutils_error(api, home):
    missing = home / "nope"
    listing = ls(api, missing)
    assert listing == {
        "status": "ERROR",
        "entries": [],
        "error": f"ls: cannot access '{missing}': No such file or directory",
    }


def test_ls_reaches_the_systems_read_only_directories(api):
    [entry] = ls(api, "/usr/bin/hostname")["entries"]
    assert entry["name"] == "/usr/bin/hostname" and entry["perms"].startswith("-")
    listing = ls(api, "/usr/bin")
    assert listing["status"] == "OK" and "hostname" in names(listing)


@pytest.mark.parametrize(
    "name", ["with space.txt", "hash#tag", "what?.txt", "100%.txt", "naïve-δ ünï.txt"]
)
def test_names_that_need_url_encoding(facility, api, home, name):
    (home / "odd").mkdir()
    give(facility, "elvis", home / "odd")
    path = home / "odd" / name
    assert upload(api, path, name.encode())["status"] == "OK"
    assert path.read_bytes() == name.encode()
    assert names(ls(api, home / "odd")) == [".", "..", name]
    assert names(ls(api, path)) == [str(path)]
    assert download(api, path)["file"] == name


# -- what a user may reach --------------------------------------------------------------------
def _reach_cases(facility, home: Path, mallory_home: Path, tmp_path: Path) -> dict[str, str]:
    """Paths elvis must not reach, as he would type them, keyed by a readable name."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    (home / "to-mallory").symlink_to(mallory_home)
    (home / "to-private").symlink_to(facility.config.private_dir)
    (home / "to-mallory-file").symlink_to(mallory_home / "secret.txt")
    return {
        "other home": f"{mallory_home}/secret.txt",
        "other home dir": str(mallory_home),
        "private dir": str(facility.config.private_dir),
        "database": str(facility.config.db_path),
        "signing key": str(facility.config.signing_key_path),
        "dotdot": f"{home}/%2E%2E/mallory/secret.txt",
        "relative dotdot": "%2E%2E/mallory/secret.txt",
        "root": "/root",
        "tmp": f"{outside}/secret.txt",
        "symlink to other home": f"{home}/to-mallory/secret.txt",
        "symlink to other file": f"{home}/to-mallory-file",
        "symlink to private": f"{home}/to-private/signing-key.pem",
        "symlink to private dir": f"{home}/to-private/",
    }


def _leaks(response: httpx.Response, facility, case: str) -> list[str]:
    """Secrets (file contents, or where a symlink points) that show in ``response``."""
    text = response.text
    found = [m for m in (SECRET, "PRIVATE KEY", "SQLite format") if m in text]
    if case.startswith("symlink"):  # a refusal must not reveal the link's target
        found += [
            p
            for p in (str(facility.config.home_of("mallory")), str(facility.config.private_dir))
            if p in text
        ]
    return found


def _raw(api: httpx.Client, kind: str, path: str) -> str:
    """The URL for an already %-encoded path (to keep ``%2E%2E`` from being normalised)."""
    return f"utilities/{kind}/perlmutter/{path}"


CASES = [
    "other home",
    "other home dir",
    "private dir",
    "database",
    "signing key",
    "dotdot",
    "relative dotdot",
    "root",
    "tmp",
    "symlink to other home",
    "symlink to other file",
    "symlink to private",
    "symlink to private dir",
]


@pytest.mark.parametrize("case", CASES)
def test_ls_and_download_refuse_what_is_not_the_users(
    api, facility, home, mallory_home, tmp_path, case
):
    path = _reach_cases(facility, home, mallory_home, tmp_path)[case]
    if case != "symlink to other file":  # ls of the link shows the link itself, like ls -l
        response = api.get(_raw(api, "ls", path))
        body = response.json()
        assert body["status"] == "ERROR" and body["entries"] == []
        assert "Permission denied" in body["error"]
        assert not _leaks(response, facility, case)
    response = api.get(_raw(api, "download", path), params={"binary": "true"})
    body = response.json()
    assert body["status"] == "ERROR" and body["file"] is None
    assert "Permission denied" in body["error"]
    assert not _leaks(response, facility, case)


def test_ls_of_a_symlink_out_shows_the_link_but_not_what_is_behind_it(
    api, facility, home, mallory_home, tmp_path
):
    _reach_cases(facility, home, mallory_home, tmp_path)
    for link in ("to-mallory", "to-private"):
        response = api.get(url("ls", home / link))
        [entry] = response.json()["entries"]
        assert entry["perms"].startswith("l")
        assert "secret.txt" not in response.text and "signing-key" not in response.text


def _snapshot(*dirs: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for d in dirs for p in d.iterdir() if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_upload_refuses_what_is_not_the_users(api, facility, home, mallory_home, tmp_path, case):
    path = _reach_cases(facility, home, mallory_home, tmp_path)[case]
    if path.endswith("/") or case in ("other home dir", "private dir", "root"):
        path = path.rstrip("/") + "/planted.txt"
    private = facility.config.private_dir
    before = _snapshot(mallory_home, tmp_path / "outside")
    key = facility.config.signing_key_path.read_bytes()
    response = api.put(_raw(api, "upload", path), files={"file": ("x", b"PLANTED")})
    body = response.json()
    assert body["status"] == "ERROR" and "Permission denied" in body["error"]
    assert not _leaks(response, facility, case)
    assert _snapshot(mallory_home, tmp_path / "outside") == before
    assert facility.config.signing_key_path.read_bytes() == key
    assert facility.config.db_path.read_bytes()[:15] == b"SQLite format 3"
    assert not (private / "planted.txt").exists() and not (mallory_home / "planted.txt").exists()
    assert not Path("/root/planted.txt").exists()
    assert (home / "to-mallory-file").is_symlink()


@pytest.mark.parametrize("case", ["other home", "dotdot", "tmp", "symlink to other home"])
def test_is_path_submit_refuses_scripts_that_are_not_the_users(
    api, facility, home, mallory_home, tmp_path, case
):
    path = _reach_cases(facility, home, mallory_home, tmp_path)[case]
    path = path.replace("%2E%2E", "..").replace("secret.txt", "job.sh")
    (tmp_path / "outside" / "job.sh").write_text(JOB)
    response = api.post("compute/jobs/perlmutter", data={"job": path, "isPath": "true"})
    assert response.status_code == 200 and response.json()["status"] == "OK"
    result = task_result(api, response.json()["task_id"])
    assert result["status"] == "error" and result["jobid"] is None
    assert "Unable to open file" in result["error"]
    assert SECRET not in json.dumps(result)
    jobs = api.get("compute/jobs/perlmutter", params={"sacct": "true", "kwargs": "user=elvis"})
    assert jobs.json()["output"] == []


def test_is_path_submit_of_the_users_own_script_works(api, home):
    (home / "ok.sh").write_text(JOB)
    response = api.post(
        "compute/jobs/perlmutter", data={"job": str(home / "ok.sh"), "isPath": "true"}
    )
    result = task_result(api, response.json()["task_id"])
    assert result["status"] == "ok" and result["jobid"]


@pytest.mark.parametrize("directory", ["/usr", "/etc", "/usr/bin"])
def test_upload_into_system_directories_is_refused(api, directory):
    target = Path(directory) / "sfapi-jupyter-planted.txt"
    try:
        body = upload(api, target, b"PLANTED")
        assert body["status"] == "ERROR" and "Permission denied" in body["error"]
        assert not target.exists()
    finally:
        if target.exists():
            target.unlink()


def test_files_only_root_may_read_stay_closed_even_when_the_facility_runs_as_root(api):
    shadow = Path("/etc/shadow")
    if not shadow.exists() or shadow.stat().st_mode & stat.S_IROTH:
        pytest.skip("needs an /etc/shadow that others may not read")
    body = download(api, shadow, binary="true")
    assert body["status"] == "ERROR" and "Permission denied" in body["error"]
    assert body["file"] is None


def test_a_path_with_a_nul_byte_is_an_error_not_a_crash(api, home):
    response = api.get(f"utilities/ls/perlmutter/{home}/a%00b")
    assert response.status_code == 200
    assert response.json()["status"] == "ERROR"
    response = api.get(f"utilities/download/perlmutter/{home}/a%00b")
    assert response.status_code == 200 and response.json()["status"] == "ERROR"


# -- download ---------------------------------------------------------------------------------
def test_download_text_and_binary(api, home):
    (home / "hello.txt").write_text("héllo\nworld\n")
    body = download(api, home / "hello.txt")
    assert body == {"status": "OK", "file": "héllo\nworld\n", "is_binary": False, "error": None}

    data = bytes(range(256)) * 3
    (home / "blob.bin").write_bytes(data)
    body = download(api, home / "blob.bin", binary="true")
    assert body["status"] == "OK" and body["is_binary"] is True
    assert base64.b64decode(body["file"]) == data


def test_download_errors_say_what_is_wrong(api, home):
    (home / "blob.bin").write_bytes(b"\xff\xfe\x00binary")
    body = download(api, home / "blob.bin")
    assert body["status"] == "ERROR" and body["file"] is None
    assert "binary=true" in body["error"]

    (home / "dir").mkdir()
    body = download(api, home / "dir")
    assert body["status"] == "ERROR" and "Is a directory" in body["error"]

    body = download(api, home / "missing.txt")
    assert body["status"] == "ERROR" and "No such file or directory" in body["error"]


def test_download_of_a_fifo_answers_at_once(api, home):
    os.mkfifo(home / "pipe")  # nothing ever writes it: reading it would block forever
    body = download(api, home / "pipe")
    assert body["status"] == "ERROR" and "regular file" in body["error"]


@pytest.fixture
def small_facility(tmp_path) -> Iterator[LocalFacility]:
    config = fast_config(tmp_path / "small", max_download_bytes=1000, max_upload_bytes=1000)
    with LocalFacility(config) as running:
        yield running


@pytest.fixture
def small_api(small_facility) -> Iterator[httpx.Client]:
    with api_session(small_facility, small_facility.create_client("elvis")) as session:
        yield session


def test_download_over_the_limit_is_refused_clearly(small_api, small_facility):
    home = small_facility.config.home_of("elvis")
    (home / "ok.txt").write_text("x" * 1000)
    (home / "big.txt").write_text("x" * 1001)
    assert download(small_api, home / "ok.txt")["file"] == "x" * 1000
    body = download(small_api, home / "big.txt")
    assert body["status"] == "ERROR" and body["file"] is None
    assert "limit" in body["error"] and "1000 bytes" in body["error"]


# -- upload -----------------------------------------------------------------------------------
def test_upload_creates_and_overwrites(api, home):
    target = home / "up.txt"
    body = upload(api, target, b"first")
    assert body["status"] == "OK" and body["error"] is None
    assert target.read_bytes() == b"first"
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask

    target.chmod(0o755)
    assert upload(api, target, b"#!/bin/sh\necho second\n")["status"] == "OK"
    assert target.read_bytes() == b"#!/bin/sh\necho second\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o755  # still executable
    assert download(api, target)["file"] == "#!/bin/sh\necho second\n"


def test_upload_into_a_missing_directory_is_an_error(api, home):
    body = upload(api, home / "no" / "such" / "dir.txt", b"x")
    assert body["status"] == "ERROR" and "No such file or directory" in body["error"]
    assert not (home / "no").exists()


def test_upload_over_the_limit_leaves_the_old_file_and_no_debris(small_api, small_facility):
    home = small_facility.config.home_of("elvis")
    (home / "keep.txt").write_text("original")
    body = upload(small_api, home / "keep.txt", b"y" * 1001)
    assert body["status"] == "ERROR"
    assert "limit" in body["error"] and "nothing was written" in body["error"]
    assert (home / "keep.txt").read_text() == "original"
    assert sorted(p.name for p in home.iterdir()) == ["examples", "keep.txt"]  # seeded ~/examples
    assert upload(small_api, home / "keep.txt", b"y" * 1000)["status"] == "OK"
    assert (home / "keep.txt").read_bytes() == b"y" * 1000


# -- commands ---------------------------------------------------------------------------------
def test_command_runs_a_shell_in_the_home(api, home):
    result = task_result(api, run(api, "pwd; echo $HOME; echo hello | tr a-z A-Z"))
    assert result == {
        "status": "ok",
        "output": f"{home}\n{home}\nHELLO\n",
        "error": "",
        "exit_code": 0,
        "_status": "completed",
    }


def test_failing_command_has_the_contract_result(api):
    result = task_result(api, run(api, "bash -lc 'echo failing >&2; exit 1'"))
    assert result == {
        "status": "error",
        "output": "",
        "error": "failing\n",
        "exit_code": 1,
        "_status": "completed",
    }


def test_partial_output_shows_while_the_task_is_new(api):
    task_id = run(api, "for i in 1 2 3 4 5; do echo $i; sleep 0.5; done")

    def partial() -> dict | None:
        body = api.get(f"tasks/{task_id}").json()
        if body["status"] == "new" and body["result"]:
            return body
        assert body["status"] == "new", "finished before any partial output was seen"
        return None

    seen = wait_for(partial, timeout=10, interval=0.05)
    assert json.loads(seen["result"])["output"].startswith("1\n")
    assert task_result(api, task_id)["output"] == "1\n2\n3\n4\n5\n"


def _alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return False
    return fields[0] != "Z"  # a zombie has ended; only its exit status is left


def test_cancel_ends_the_command_and_its_children(api, home):
    task_id = run(api, "sleep 30 & echo $! > child.pid; echo $$ > shell.pid; wait")
    wait_for(lambda: (home / "child.pid").exists() and (home / "shell.pid").exists())
    wait_for(lambda: (home / "child.pid").read_text().strip() != "")
    pids = [int((home / f).read_text()) for f in ("shell.pid", "child.pid")]
    assert all(_alive(pid) for pid in pids)

    response = api.delete(f"tasks/{task_id}")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert api.get(f"tasks/{task_id}").json()["status"] == "cancelled"
    wait_for(lambda: not any(_alive(pid) for pid in pids), timeout=10)


def test_tasks_are_listed_per_user(api, mallory):
    task_id = run(api, "echo mine")
    task_result(api, task_id)
    assert task_id in [t["id"] for t in api.get("tasks").json()["tasks"]]
    assert task_id not in [t["id"] for t in mallory.get("tasks").json()["tasks"]]
    assert mallory.get(f"tasks/{task_id}").status_code == 404
    assert mallory.delete(f"tasks/{task_id}").status_code == 404
    assert api.get("tasks/999999999").status_code == 404
