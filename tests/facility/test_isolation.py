"""Per-user isolation (issue 10, item 1): the kernel, not only path checks, keeps users apart.

Run as root (as CI runs), the facility makes each user a real OS account and runs their
commands, jobs and file operations as that account. The attacks that worked when everything
ran as the facility's OS user are tried again here and must fail: bob reading the
token-signing key, reading alice's home, a job of bob's writing into alice's home, and a
hard link from bob's home to the key. On both backends where it concerns jobs.

Run as an ordinary user (the demo), nothing can be isolated: the last tests start a
facility as ``nobody`` and check that it says so and that users' commands and jobs still
work, as that one OS user.
"""

from __future__ import annotations

import json
import os
import pwd
import stat
import subprocess
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.os_accounts import ACCOUNT_MARKER
from sfapi_jupyter.facility.server import LocalFacility

from ..support.reachable import reachable_python, without_checkout
from ..support.slurm import require_slurm
from ..support.tokens import api_session, task_result
from ..support.waiting import wait_for
from .test_api_jobs import final_row, read_file, script, submit, submitted

root_only = pytest.mark.skipif(os.geteuid() != 0, reason="isolation needs the facility as root")


def run(api: httpx.Client, command: str) -> dict:
    response = api.post("utilities/command/perlmutter", data={"executable": command})
    assert response.status_code == 200, response.text
    return task_result(api, response.json()["task_id"], timeout=60)


def upload(api: httpx.Client, path: str | Path, data: bytes) -> dict:
    response = api.put(f"utilities/upload/perlmutter/{path}", files={"file": ("f", data)})
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def download(api: httpx.Client, path: str | Path) -> dict:
    body: dict = api.get(f"utilities/download/perlmutter/{path}").json()
    return body


@pytest.fixture(params=["local", pytest.param("slurm", marks=pytest.mark.slurm)])
def backend(request) -> str:
    if request.param == "slurm":
        require_slurm()
    return str(request.param)


@pytest.fixture
def site(tmp_path, backend) -> Iterator[LocalFacility]:
    config = FacilityConfig(
        state_dir=tmp_path / "state",
        backend=backend,
        min_pending_seconds=0.2,
        scheduler_interval=0.05,
    )
    with LocalFacility(config) as running:
        yield running


@pytest.fixture
def alice(site) -> Iterator[httpx.Client]:
    with api_session(site, site.create_client("alice")) as session:
        yield session


@pytest.fixture
def bob(site, alice) -> Iterator[httpx.Client]:
    with api_session(site, site.create_client("bob")) as session:
        yield session


# -- the accounts ---------------------------------------------------------------------------------
@root_only
@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_users_are_real_os_accounts_with_private_homes(site, alice, bob):
    config = site.config
    for name in ("alice", "bob"):
        entry = pwd.getpwnam(name)
        user = site.facility.accounts.get_user(name)
        assert user is not None
        assert (entry.pw_uid, entry.pw_gid) == (user.uid, user.gid)
        assert entry.pw_gecos.startswith(ACCOUNT_MARKER) and entry.pw_dir == str(user.home)
        for directory in (user.home, user.scratch):
            st = directory.stat()
            assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (user.uid, user.gid, 0o700)
        project = user.project_dirs[0].stat()
        assert stat.S_IMODE(project.st_mode) == 0o2770 and project.st_uid == 0
    st = config.private_dir.stat()
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == (0, 0o700)
    assert stat.S_IMODE(config.state_dir.stat().st_mode) == 0o711
    assert "Permission denied" in run(alice, f"ls {config.state_dir}")["error"]

    result = run(alice, "id -un; id -u; id -G; echo $HOME")
    user = site.facility.accounts.get_user("alice")
    assert user is not None
    name, uid, groups, home = result["output"].splitlines()
    assert (name, int(uid), home) == ("alice", user.uid, str(user.home))
    project_gid = site.facility.store.get_group(user.projects[0])["gid"]
    assert {user.gid, project_gid} <= {int(g) for g in groups.split()}
    assert "0" not in groups.split()  # none of root's groups


# -- the attacks that worked before ---------------------------------------------------------------
@root_only
@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_bobs_command_cannot_read_the_signing_key_or_alices_home(site, alice, bob):
    key = site.config.signing_key_path
    alice_home = site.config.home_of("alice")
    assert upload(alice, alice_home / "notes.txt", b"alice's notes")["status"] == "OK"

    stolen = run(bob, f"cat {key}")
    assert stolen["exit_code"] != 0 and "Permission denied" in stolen["error"]
    assert "PRIVATE KEY" not in stolen["output"]
    assert "Permission denied" in run(bob, f"cat {site.config.db_path}")["error"]
    peek = run(bob, f"ls {alice_home}; cat {alice_home}/notes.txt")
    assert peek["output"] == "" and peek["error"].count("Permission denied") == 2
    # and alice herself still reads her own file
    assert run(alice, "cat ~/notes.txt")["output"] == "alice's notes"


@root_only
@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_a_hard_link_to_the_key_cannot_be_made_or_downloaded(site, bob):
    key = site.config.signing_key_path
    made = run(bob, f"ln {key} ~/k")
    assert made["exit_code"] != 0
    assert "Permission denied" in made["error"] or "Operation not permitted" in made["error"]
    answer = download(bob, site.config.home_of("bob") / "k")
    assert answer["status"] == "ERROR" and answer["file"] is None


@root_only
@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_file_operations_are_checked_by_the_kernel_too(site, bob):
    """A root-only file inside bob's own home passes every path check; the kernel stops it."""
    home = site.config.home_of("bob")
    planted = home / "root-only.txt"
    planted.write_text("not for bob")
    planted.chmod(0o600)
    answer = download(bob, planted)
    assert answer["status"] == "ERROR" and "Permission denied" in answer["error"]
    sealed = home / "sealed"
    sealed.mkdir(mode=0o755)
    refused = upload(bob, sealed / "x.txt", b"x")
    assert refused["status"] == "ERROR" and "Permission denied" in refused["error"]
    assert not (sealed / "x.txt").exists()


@root_only
@pytest.mark.parametrize("backend", ["local"], indirect=True)
def test_what_the_facility_writes_for_a_user_belongs_to_the_user(site, alice):
    user = site.facility.accounts.get_user("alice")
    assert user is not None
    path = user.home / "in" / "data.bin"
    assert run(alice, "mkdir ~/in")["exit_code"] == 0
    assert upload(alice, path, b"\x00\x01data")["status"] == "OK"
    owner = path.stat()
    assert (owner.st_uid, owner.st_gid) == (user.uid, user.gid)
    response = alice.post(
        "storage/globus/transfer",
        data={
            "source_uuid": "dtn",
            "target_uuid": "dtn",
            "source_dir": str(user.home / "in"),
            "target_dir": str(user.scratch),
        },
    )
    transfer_id = response.json()["transfer_id"]
    done = wait_for(
        lambda: (
            body
            if (body := alice.get(f"storage/globus/transfer/{transfer_id}").json())["globus_status"]
            != "ACTIVE"
            else None
        )
    )
    assert done["globus_status"] == "SUCCEEDED", done
    for copied in (user.scratch / "in", user.scratch / "in" / "data.bin"):
        assert copied.stat().st_uid == user.uid


@root_only
def test_jobs_run_as_their_user_and_cannot_write_into_another_home(site, alice, bob, backend):
    alice_home = site.config.home_of("alice")
    bob_home = site.config.home_of("bob")

    jobid = submitted(alice, script("id -un; echo $HOME; touch ~/made-by-job", "-o who-%j.out"))
    assert final_row(alice, jobid)["state"] == "COMPLETED"
    assert read_file(alice, f"{alice_home}/who-{jobid}.out") == f"alice\n{alice_home}\n"
    alice_uid = pwd.getpwnam("alice").pw_uid
    assert (alice_home / f"who-{jobid}.out").stat().st_uid == alice_uid
    assert (alice_home / "made-by-job").stat().st_uid == alice_uid

    # bob's job asks for its output inside alice's home: that open fails as bob
    target = alice_home / "x.out"
    intruder = submit(bob, script("echo owned", f"-o {target}"))
    if intruder["status"] == "ok":
        row = final_row(bob, intruder["jobid"])
        assert row["state"] != "COMPLETED" or not target.exists()
    assert not target.exists()
    # and a job of bob's that writes there itself fails too
    jobid = submitted(bob, script(f"echo owned > {alice_home}/y.txt", "-o try-%j.out"))
    assert final_row(bob, jobid)["state"] == "FAILED"
    assert not (alice_home / "y.txt").exists()
    assert "Permission denied" in read_file(bob, f"{bob_home}/try-{jobid}.out")


# -- not root: one OS user for everyone, said plainly ------------------------------------------
NOT_ROOT_SCRIPT = textwrap.dedent(
    """
    import json, logging, sys, time
    import httpx
    from sfapi_jupyter.facility import FacilityConfig
    from sfapi_jupyter.facility.server import LocalFacility
    import sfapi_jupyter
    sys.path.insert(0, sys.argv[2])
    from tests.support.tokens import fetch_token, task_result
    from tests.support.waiting import wait_for

    records = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())
    logging.getLogger("sfapi_jupyter.facility").addHandler(handler)
    config = FacilityConfig(state_dir=sys.argv[1], min_pending_seconds=0.1)
    out = {"code": sfapi_jupyter.__file__}
    with LocalFacility(config) as site:
        for name in ("carlnr", "doranr"):
            client = site.create_client(name)
            headers = {"Authorization": f"Bearer {fetch_token(site.token_url, client)}"}
            api = httpx.Client(base_url=site.api_url + "/", headers=headers, timeout=30)
            task = api.post("utilities/command/perlmutter", data={"executable": "id -un"})
            out[name] = task_result(api, task.json()["task_id"])["output"].strip()
            job = "#!/bin/bash\\n#SBATCH -C cpu\\n#SBATCH -o job.out\\nid -un\\n"
            task = api.post("compute/jobs/perlmutter", data={"job": job, "isPath": "false"})
            jobid = task_result(api, task.json()["task_id"])["jobid"]
            path = f"{site.config.home_of(name)}/job.out"

            def done(jobid=jobid):
                rows = api.get("compute/jobs/perlmutter",
                               params={"sacct": "true", "kwargs": f"jobid={jobid}"}).json()
                return rows["output"] and rows["output"][0]["state"] == "COMPLETED"

            wait_for(done)
            body = api.get(f"utilities/download/perlmutter/{path}").json()
            out[name + "_job"] = body["file"].strip()
        out["notice"] = site.facility.isolation_notice
    out["log"] = records
    print(json.dumps(out))
    """
)


@root_only
def test_run_as_an_ordinary_user_everyone_is_that_user_and_it_says_so(tmp_path):
    """The demo's case, for real: the facility process itself is ``nobody``."""
    state = Path(tempfile.mkdtemp(prefix="sfapi-notroot-", dir="/tmp"))
    # The user nobody runs a copy of the code under test: CI may clone into a private (0700)
    # directory, where that user can read neither the checkout nor its .venv.
    with reachable_python() as python:
        try:
            os.chown(state, 65534, 65534)
            code = python.parents[2] / "src"
            proc = subprocess.run(
                [
                    *("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"),
                    *(str(python), "-c", NOT_ROOT_SCRIPT, str(state / "s"), str(code)),
                ],
                capture_output=True,
                text=True,
                timeout=120,
                cwd="/tmp",
                env={**without_checkout(os.environ), "HOME": str(state)},
            )
            assert proc.returncode == 0, proc.stderr
            out = json.loads(proc.stdout.strip().splitlines()[-1])
            # what ran was the copy, not the checkout
            assert out["code"] == str(code / "sfapi_jupyter" / "__init__.py")
        finally:
            subprocess.run(["rm", "-rf", str(state)], check=False)
    nobody = pwd.getpwuid(65534).pw_name
    assert out["carlnr"] == out["doranr"] == nobody
    assert out["carlnr_job"] == out["doranr_job"] == nobody
    for text in (out["notice"], " ".join(out["log"])):
        assert f"every facility user's commands and jobs run as {nobody!r}" in text
    for name in ("carlnr", "doranr"):  # no OS accounts were made
        with pytest.raises(KeyError):
            pwd.getpwnam(name)
