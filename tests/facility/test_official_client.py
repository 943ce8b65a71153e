"""NERSC's official client (PyPI ``sfapi-client``, unmodified) against the local facility.

The client is configured only with ``api_base_url`` and ``token_url`` plus the credentials
a user gets from Iris, and talks to the facility over real HTTP, so every call below makes
exactly the requests it makes against api.nersc.gov. Jobs that must be seen RUNNING wait for
a release file, so no test depends on how fast the machine is.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import textwrap
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from sfapi_client import AsyncClient, Client, SfApiError
from sfapi_client.compute import Machine
from sfapi_client.jobs import JobState
from sfapi_client.paths import RemotePath

from sfapi_jupyter.cli import main as cli_main
from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.owners import give
from ..support.tokens import fetch_token
from ..support.waiting import wait_for

pytestmark = [pytest.mark.official_client, pytest.mark.timeout(120)]


# -- fixtures -------------------------------------------------------------------------------------
def official(facility: LocalFacility, creds: NewClient, **options: object) -> Client:
    """A sync client as a user configures it for a non-default API (PEM secret)."""
    return Client(
        client_id=creds.client_id,
        secret=creds.private_key_pem,
        api_base_url=facility.api_url,
        token_url=facility.token_url,
        wait_interval=1,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def facility() -> Iterator[LocalFacility]:
    """One facility for the module (tests use their own file names and jobs), in a temporary
    directory its users can reach when the tests run as root (see conftest's ``tmp_path``)."""
    base = Path(tempfile.mkdtemp(prefix="sfapi-official-"))
    base.chmod(0o711)
    config = fast_config(base / "state")
    try:
        with LocalFacility(config) as running:
            yield running
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def red_client(facility: LocalFacility) -> NewClient:
    return facility.create_client("elvis", level="red")


@pytest.fixture
def client(facility: LocalFacility, red_client: NewClient) -> Iterator[Client]:
    with official(facility, red_client) as session:
        yield session


@pytest.fixture
def home(facility: LocalFacility) -> Path:
    """elvis's home as the API shows it (absolute path on the 'login node')."""
    return facility.config.home_of("elvis")


def gated_script(home: Path, gate: str, *, output: str = "gated-%j.out") -> str:
    """A job that keeps RUNNING until ``$HOME/<gate>`` exists."""
    return textwrap.dedent(
        f"""\
        #!/bin/bash
        #SBATCH -C cpu
        #SBATCH -q debug
        #SBATCH -N 1
        #SBATCH -o {home}/{output}
        while [ ! -e "$HOME/{gate}" ]; do sleep 0.05; done
        echo "released {gate}"
        """
    )


def used_assertions(facility: LocalFacility) -> int:
    """How many client assertions the token endpoint accepted (each one a token request)."""
    row = facility.facility.store._one("SELECT COUNT(*) AS n FROM used_jti")
    assert row is not None
    return int(row["n"])


# -- status, meta: public -------------------------------------------------------------------------
def test_resources_status_outages_notes(client: Client) -> None:
    statuses = client.resources.status()
    assert {"perlmutter", "dtns", "dtn01", "spin", "globus"} <= set(statuses)
    assert statuses["perlmutter"].status.value == "active"

    perlmutter = client.resources.status("perlmutter")
    assert perlmutter.name == "perlmutter"
    assert perlmutter.full_name == "Perlmutter"

    outages = client.resources.outages()
    assert outages["perlmutter"]  # sfapi_client's own public test asserts this
    assert all(o.name == name for name, group in outages.items() for o in group)
    mine = client.resources.outages("perlmutter")
    assert mine and all(o.name == "perlmutter" for o in mine)
    now = dt.datetime.now(dt.timezone.utc)
    assert all(o.start_at is not None and o.start_at <= now for o in mine)

    planned = client.resources.planned_outages()
    assert planned and all(o.start_at > now for group in planned.values() for o in group)
    assert [o.status.value for o in client.resources.planned_outages("perlmutter")] == ["Planned"]

    notes = client.resources.notes()
    assert "perlmutter" in notes and all(n.name == "perlmutter" for n in notes["perlmutter"])
    assert any("CUDA" in (n.notes or "") for n in client.resources.notes("perlmutter"))


def test_api_changelog_and_config(client: Client) -> None:
    changelog = client.api.changelog()
    assert changelog and all(item.date is not None and item.change for item in changelog)
    config = client.api.config()
    assert "compute.targets" in config
    assert "perlmutter" in (config["compute.targets"] or "")


def test_compute_machines_by_name_and_enum(client: Client) -> None:
    perlmutter = client.compute("perlmutter")
    assert perlmutter.name == "perlmutter" and perlmutter.status.value == "active"
    dtns = client.compute(Machine.dtns)
    assert dtns.name == "dtns"
    assert dtns.outages() == client.resources.outages("dtns")
    assert all(o.start_at > dt.datetime.now(dt.timezone.utc) for o in dtns.planned_outages())
    with pytest.raises(ValueError):
        client.compute("cori")  # not in v1.2's machine enum: refused before any request


# -- account --------------------------------------------------------------------------------------
def test_user_projects_roles_clients(facility: LocalFacility, client: Client) -> None:
    facility.create_client("priscilla")
    me = client.user()
    assert me.name == "elvis" and isinstance(me.uid, int)
    other = client.user("priscilla")
    assert other.name == "priscilla" and other.uid != me.uid

    projects = me.projects()
    assert projects
    project = projects[0]
    assert project.name == project.repo_name and project.repo_name.startswith("m")
    assert project.cpu_hours_given and project.cpu_hours_used is not None
    assert project.gpu_hours_given and project.gpu_hours_used is not None
    assert project.cpu_hours_used < project.cpu_hours_given

    roles = me.roles()
    assert [r.repo_name for r in roles] == [p.repo_name for p in projects]
    assert roles[0].iris_role

    clients = me.clients()
    assert clients and all(c.clientId and c.expiresAt for c in clients)
    expires = dt.datetime.fromisoformat(clients[0].expiresAt)
    assert expires > dt.datetime.now(dt.timezone.utc)

    groups = me.groups()
    assert "elvis" in [g.name for g in groups]
    with pytest.raises(SfApiError):
        other.projects()  # only the token's owner: the client refuses


def test_groups_create_add_remove(facility: LocalFacility, client: Client) -> None:
    facility.create_client("priscilla")
    facility.create_client("lisa")
    project = client.user().projects()[0]
    group = project.create_group("band")
    assert group.name == "band" and isinstance(group.gid, int)
    assert [m.name for m in group.members] == ["elvis"]

    group.add(["priscilla", "lisa"])
    assert sorted(m.name for m in group.members) == ["elvis", "lisa", "priscilla"]
    group.remove(["lisa"])
    assert sorted(m.name for m in group.members) == ["elvis", "priscilla"]

    fetched = client.group("band")
    assert fetched.gid == group.gid
    assert sorted(m.name for m in fetched.members) == ["elvis", "priscilla"]
    assert fetched.members[1].user().name in {"elvis", "priscilla"}
    assert "band" in [g.name for g in client.user().groups()]

    with pytest.raises(httpx.HTTPStatusError) as refused:
        project.create_group("band")  # duplicate name
    assert refused.value.response.status_code == 409


# -- jobs -----------------------------------------------------------------------------------------
def test_submit_script_text_runs_to_completion(client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    job = compute.submit_job(gated_script(home, "release-text"))
    assert job.jobid and job.jobid.isdigit()

    assert job.running(timeout=30) == JobState.RUNNING
    assert job.state == JobState.RUNNING
    (compute.ls(str(home), directory=True)[0] / "release-text").upload(BytesIO(b""))
    assert job.complete(timeout=30) == JobState.COMPLETED

    record = compute.job(job.jobid)
    assert record.state == JobState.COMPLETED and record.jobid == job.jobid
    [output] = compute.ls(str(home / f"gated-{job.jobid}.out"))
    assert output.download().read() == "released release-text\n"


def test_submit_path_with_args_reaches_the_script(client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    script = textwrap.dedent(
        """\
        #!/bin/bash
        #SBATCH -C cpu
        #SBATCH -q debug
        #SBATCH -o args-%j.out
        printf '<%s>\\n' "$@"
        """
    )
    remote = RemotePath(path=str(home / "args.sh"), compute=compute).upload(
        BytesIO(script.encode())
    )
    job = compute.submit_job(str(remote), args=["alpha", "beta gamma", "--delta=1"])
    assert job.complete(timeout=30) == JobState.COMPLETED
    [output] = compute.ls(str(home / f"args-{job.jobid}.out"))
    assert output.download().read() == "<alpha>\n<beta gamma>\n<--delta=1>\n"

    plain = compute.submit_job(str(remote))  # a path without args: printf runs once, empty
    assert plain.complete(timeout=30) == JobState.COMPLETED
    assert compute.ls(str(home / f"args-{plain.jobid}.out"))[0].download().read() == "<>\n"

    with pytest.raises(ValueError):
        compute.submit_job(script, args=["x"])  # the client refuses args for script text


def test_submit_refused_by_sbatch_shows_its_message(client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    with pytest.raises(SfApiError, match="No architecture specified"):
        compute.submit_job("#!/bin/bash\necho no constraint\n")
    with pytest.raises(SfApiError, match="No such file or directory"):
        compute.submit_job(str(home / "missing.sh"))  # the client ls-es the path first


def test_cancel_and_job_queries(client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    first = compute.submit_job(gated_script(home, "never-released", output="first-%j.out"))
    second = compute.submit_job(gated_script(home, "never-released", output="second-%j.out"))
    first.running(timeout=30)

    both = compute.jobs(jobids=[first.jobid, second.jobid])
    assert sorted(j.jobid for j in both) == sorted([first.jobid, second.jobid])
    assert all(j.user == "elvis" for j in both)
    mine = compute.jobs(user="elvis")
    assert {first.jobid, second.jobid} <= {j.jobid for j in mine}
    queued = compute.job(first.jobid, command="squeue")
    assert queued.state == JobState.RUNNING and queued.jobid == first.jobid

    first.update()
    assert first.state == JobState.RUNNING
    with pytest.raises(TimeoutError):
        first.complete(timeout=1)  # still running: the wait gives up
    first.cancel(wait=True)
    assert first.state == JobState.CANCELLED
    second.cancel(wait=True)
    assert second.state == JobState.CANCELLED

    final = compute.job(first.jobid)  # sacct: 'CANCELLED by <uid>' becomes CANCELLED
    assert final.state == JobState.CANCELLED
    assert first.jobid not in {j.jobid for j in compute.jobs(user="elvis")}
    with pytest.raises(SfApiError, match="Job not found"):
        compute.job("999999")


def test_admin_status_change_reaches_the_client(facility: LocalFacility, client: Client) -> None:
    main_args = ["facility", "status", "set", "dtn01", "unavailable", "--note", "Maintenance"]
    assert cli_main([*main_args, "--state", str(facility.config.state_dir)]) == 0
    dtn01 = client.compute(Machine.dtn01)
    assert dtn01.status.value == "unavailable" and dtn01.notes == ["Maintenance"]
    assert dtn01.description == "System Unavailable"
    assert client.resources.status()["dtn01"].status.value == "unavailable"
    assert client.compute("perlmutter").status.value == "active"
    # sfapi_client 0.6.0's @check_auth looks for ``status`` on the Client, not the Compute, so
    # it never refuses calls to an unavailable machine; the facility does not either.


# -- files ----------------------------------------------------------------------------------------
def test_ls_download_upload_open(facility: LocalFacility, client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    (home / "data").mkdir()
    (home / "data" / "notes.txt").write_text("hello from perlmutter\n")
    (home / "data" / "blob.bin").write_bytes(bytes(range(256)))
    give(facility, "elvis", home / "data")

    entries = compute.ls(str(home / "data"))
    assert sorted(p.name for p in entries) == ["blob.bin", "notes.txt"]
    [directory] = compute.ls(str(home / "data"), directory=True)
    assert directory.is_dir() and directory.name == "data"
    [notes] = compute.ls(str(home / "data" / "notes.txt"))
    assert notes.is_file() and notes.name == "notes.txt" and notes.size == 22
    assert str(notes) == str(home / "data" / "notes.txt")
    assert notes.download().read() == "hello from perlmutter\n"
    blob = next(p for p in entries if p.name == "blob.bin")
    assert blob.download(binary=True).read() == bytes(range(256))
    with pytest.raises(SfApiError, match="not a text file"):
        blob.download()
    with pytest.raises(IsADirectoryError):
        directory.download()
    with pytest.raises(SfApiError, match="No such file or directory"):
        compute.ls(str(home / "missing"))

    # Upload into a directory (the file name comes from .filename), and to a new path.
    upload = BytesIO(b"first version")
    upload.filename = "up.txt"  # type: ignore[attr-defined]
    uploaded = directory.upload(upload)
    assert uploaded.download().read() == "first version"
    RemotePath(path=str(home / "data" / "up.txt"), compute=compute).upload(BytesIO(b"second"))
    assert (home / "data" / "up.txt").read_text() == "second"

    target = directory / "written.txt"
    with target.open("w") as fp:
        fp.write("text mode")
    with target.open("r") as fp:
        assert fp.read() == "text mode"
    with target.open("wb") as fp:
        fp.write(b"\x00\x01binary")
    with target.open("rb") as fp:
        assert fp.read() == b"\x00\x01binary"
    assert (home / "data" / "written.txt").read_bytes() == b"\x00\x01binary"


def test_symlinks_are_listed_as_links(client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    (home / "real").mkdir()
    (home / "real" / "inside.txt").write_text("through the link\n")
    compute.run(f"ln -s {home}/real {home}/link")

    [link] = compute.ls(str(home / "link"))
    assert link.is_symlink()
    assert str(link) == str(home / "link")
    listing = compute.ls(str(home))
    assert any(p.perms and p.perms.startswith("l") for p in listing)
    [inside] = compute.ls(str(home / "link" / "inside.txt"))
    assert inside.download().read() == "through the link\n"


# -- commands and tasks ---------------------------------------------------------------------------
def test_run_and_run_task(client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    assert compute.run("echo hello; echo $HOME") == f"hello\n{home}\n"
    assert compute.run(["printf", "'%s-'", "a", "b"]) == "a-b-"
    with pytest.raises(SfApiError, match="boom"):
        compute.run("echo boom >&2; exit 3")

    task = compute.run_task("echo out; echo err >&2; exit 4")
    task._wait()
    assert task.status.value == "COMPLETED"
    assert task.result is not None
    assert (task.result.output, task.result.error, task.result.exit_code) == ("out\n", "err\n", 4)
    assert task.result.status == "error"


def test_run_task_cancel(client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    task = compute.run_task("echo started; sleep 60; touch never-made")
    wait_for(lambda: task.update().result and task.result.output == "started\n", timeout=20)
    assert task.status.value == "NEW"
    task.cancel()
    task.update()
    assert task.status.value == "CANCELLED"
    assert not (home / "never-made").exists()


# -- storage --------------------------------------------------------------------------------------
def test_globus_transfer_copies_files(client: Client, home: Path) -> None:
    compute = client.compute("perlmutter")
    source = home / "results"
    source.mkdir()
    (source / "a.txt").write_text("aaa")
    (source / "sub").mkdir()
    (source / "sub" / "b.bin").write_bytes(b"b" * 1000)
    scratch = compute.run("echo $SCRATCH").strip()

    globus = client.storage.globus()
    assert globus.name == "globus"
    transfer = globus.start_transfer(
        Machine.perlmutter, Machine.dtns, str(source), f"{scratch}/copy", label="results"
    )
    assert transfer.transfer_id
    assert transfer.complete(timeout=30).value == "SUCCEEDED"
    transfer.update()
    assert transfer.globus_status.value == "SUCCEEDED"
    assert transfer.bytes_transferred == 1003
    again = globus.transfer(transfer.transfer_id)
    assert again.globus_status.value == "SUCCEEDED"

    copied = Path(scratch) / "copy" / "results"
    assert (copied / "a.txt").read_text() == "aaa"
    assert (copied / "sub" / "b.bin").read_bytes() == b"b" * 1000
    assert compute.ls(f"{scratch}/copy/results/a.txt")[0].download().read() == "aaa"


# -- credentials and tokens -----------------------------------------------------------------------
def test_key_file_and_jwk_credentials(
    facility: LocalFacility, red_client: NewClient, tmp_path: Path
) -> None:
    key_file = tmp_path / "key.pem"
    key_file.touch(mode=0o600)
    key_file.write_text(red_client.key_file_text)
    os.chmod(key_file, 0o600)
    with Client(
        key=key_file, api_base_url=facility.api_url, token_url=facility.token_url, wait_interval=1
    ) as session:
        assert session.user().name == "elvis"

    with Client(
        client_id=red_client.client_id,
        secret=red_client.private_key_jwk,  # type: ignore[arg-type]
        api_base_url=facility.api_url,
        token_url=facility.token_url,
    ) as session:
        assert session.compute("perlmutter").run("echo jwk") == "jwk\n"


def test_access_token_client(facility: LocalFacility, red_client: NewClient) -> None:
    token = fetch_token(facility.token_url, red_client)
    with Client(api_base_url=facility.api_url, access_token=token) as session:
        assert session.token == token
        assert session.user().name == "elvis"
        assert session.compute("perlmutter").run("echo via token") == "via token\n"


def test_revoked_client_surfaces_as_http_401(facility: LocalFacility) -> None:
    doomed = facility.create_client("elvis")
    with official(facility, doomed) as client:
        assert client.user().name == "elvis"
        facility.facility.accounts.revoke_client(doomed.client_id)
        # The client holds a token that has not run out, so it does not ask for a new one:
        # the API refuses that token at once, and sfapi_client has no retry-on-401 path.
        with pytest.raises(httpx.HTTPStatusError) as refused:
            client.user()
    assert refused.value.response.status_code == 401
    assert "revoked" in refused.value.response.json()["detail"]


def test_anonymous_client_reads_status_only(facility: LocalFacility) -> None:
    with Client(api_base_url=facility.api_url, token_url=facility.token_url) as session:
        assert session.resources.status("perlmutter").name == "perlmutter"
        with pytest.raises(SfApiError, match="unauthenticated"):
            session.user()


def test_token_renewed_across_expiry(tmp_path: Path) -> None:
    # Its own facility beside the module's: a user of another name (one OS account per name).
    config = fast_config(tmp_path / "short", token_lifetime=2, min_pending_seconds=0.1)
    with LocalFacility(config) as facility:
        creds = facility.create_client("presley")
        with official(facility, creds) as session:
            first = session.token
            assert session.user().name == "presley"
            before = used_assertions(facility)
            # Each token lives 2 s, well inside authlib's 60 s leeway: every request renews
            # (authlib checks the token twice per request, so possibly twice).
            for _ in range(3):
                assert session.user().name == "presley"
            assert used_assertions(facility) >= before + 3
            assert session.token != first
            # Once a token has expired the client still works (it fetches a new one).
            stale = session._http_client().token["access_token"]
            wait_for(
                lambda: (
                    httpx.get(
                        f"{facility.api_url}/account/",
                        headers={"Authorization": f"Bearer {stale}"},
                    ).status_code
                    == 401
                ),
                timeout=10,
                interval=0.2,
            )
            assert session.compute("perlmutter").run("echo still here") == "still here\n"


# -- AsyncClient ----------------------------------------------------------------------------------
async def test_async_client_end_to_end(
    facility: LocalFacility, red_client: NewClient, home: Path
) -> None:
    async with AsyncClient(
        client_id=red_client.client_id,
        secret=red_client.private_key_pem,
        api_base_url=facility.api_url,
        token_url=facility.token_url,
        wait_interval=1,
    ) as session:
        status = await session.resources.status("perlmutter")
        assert status.name == "perlmutter"
        assert (await session.resources.outages())["perlmutter"]
        assert "compute.targets" in await session.api.config()

        user = await session.user()
        assert user.name == "elvis"
        assert (await user.projects())[0].cpu_hours_given

        compute = await session.compute(Machine.perlmutter)
        assert await compute.run("echo async") == "async\n"
        task = await compute.run_task("echo t; exit 2")
        await task
        assert (task.result.output, task.result.exit_code) == ("t\n", 2)

        job = await compute.submit_job(gated_script(home, "release-async"))
        assert await job.running(timeout=30) == JobState.RUNNING
        [home_dir] = await compute.ls(str(home), directory=True)
        await (home_dir / "release-async").upload(BytesIO(b""))
        assert await job.complete(timeout=30) == JobState.COMPLETED
        [output] = await compute.ls(str(home / f"gated-{job.jobid}.out"))
        assert (await output.download()).read() == "released release-async\n"

        doomed = await compute.submit_job(gated_script(home, "never", output="doomed-%j.out"))
        await doomed.running(timeout=30)
        await doomed.cancel(wait=True)
        assert doomed.state == JobState.CANCELLED
        assert [j.jobid for j in await compute.jobs(jobids=[job.jobid, doomed.jobid])] == []

        globus = await session.storage.globus()
        (home / "tx.txt").write_text("async transfer")
        transfer = await globus.start_transfer(
            Machine.dtns, Machine.perlmutter, str(home / "tx.txt"), str(home / "inbox")
        )
        assert (await transfer.complete(timeout=30)).value == "SUCCEEDED"
        assert (home / "inbox" / "tx.txt").read_text() == "async transfer"
