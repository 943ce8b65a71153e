"""Every public call of AsyncClient against the facility, over real HTTP and in process."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest

from sfapi_jupyter import AsyncClient
from sfapi_jupyter.client import (
    AuthenticationError,
    BadScriptError,
    CommandError,
    JobState,
    MachineUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    ScriptWarning,
    ValidationError,
)
from sfapi_jupyter.client.scripts import checked_script

from ..support.facility import make_async_client
from ..support.scripts import batch_script as script
from .conftest import home


async def test_status_outages_notes_meta_without_credentials(served):
    async with AsyncClient(served.api_url, served.token_url, transport=served.transport) as anon:
        everything = await anon.status()
        assert {"perlmutter", "dtns", "dtn01"} <= {s.name for s in everything}
        perlmutter = await anon.status("perlmutter")
        assert perlmutter.status.value == "active" and perlmutter.is_up
        outages = await anon.outages("perlmutter")
        assert outages and all(o.name == "perlmutter" for o in outages)
        assert len(await anon.outages()) > len(outages)
        planned = await anon.planned_outages()
        now = dt.datetime.now(dt.timezone.utc)
        assert planned and all(o.start_at > now for o in planned)
        assert await anon.notes("perlmutter")
        assert (await anon.config())["compute.targets"]
        assert await anon.changelog()
        frame = everything.to_dataframe()
        assert list(frame["name"])[:3] == ["perlmutter", "dtns", "dtn01"]
        with pytest.raises(AuthenticationError, match="needs an API client"):
            await anon.user()


async def test_account(aclient):
    me = await aclient.user()
    assert me.name == "elvis" and me.uid > 0
    projects = await aclient.projects()
    assert projects[0].repo_name.startswith("m")
    assert projects[0].cpu_hours_remaining == pytest.approx(
        projects[0].cpu_hours_given - projects[0].cpu_hours_used
    )
    assert [r.repo_name for r in await aclient.roles()] == [p.repo_name for p in projects]
    assert {g.name for g in await aclient.groups()} >= {"elvis", projects[0].repo_name}
    clients = await aclient.clients()
    assert clients[0].client_id == aclient.credentials.client_id
    assert dt.timedelta(hours=47) < clients[0].expires_in <= dt.timedelta(days=2)
    assert projects.to_dataframe().shape[0] == 1


async def test_job_lifecycle(served, aclient):
    machine = aclient.compute("perlmutter")
    job = await machine.submit(script("echo hello; sleep 1", "-J lifecycle"))
    assert job.state in (JobState.PENDING, JobState.RUNNING)  # sbatch queued it
    # The details come with the first look (the watcher's, or this one).
    await job.refresh()
    assert job.submit_time is not None and job.name == "lifecycle"
    await job.wait(timeout=60)
    assert job.state is JobState.COMPLETED and job.is_terminal
    assert job.exit_code == 0 and job.start_time and job.end_time
    assert job.elapsed is not None and job.nodes == 1
    again = await machine.job(job.jobid)
    assert again.state is JobState.COMPLETED and again.raw["jobname"] == "lifecycle"
    output = await machine.files.download(f"{home(served)}/slurm-{job.jobid}.out", binary=False)
    assert output == "hello\n"
    finished = await machine.jobs(sacct=True)
    assert job.jobid in {j.jobid for j in finished}
    assert await machine.jobs() == []  # nothing queued any more


async def test_failed_job_and_check(aclient):
    machine = aclient.compute("perlmutter")
    job = await machine.submit(script("exit 3"))
    with pytest.raises(Exception, match="FAILED with exit code 3") as raised:
        await job.wait(timeout=60, check=True)
    assert raised.value.job is job and job.exit_code == 3


async def test_cancel_and_queue(aclient):
    machine = aclient.compute("perlmutter")
    job = await machine.submit(script("sleep 120"))
    queued = await machine.jobs()
    assert [j.jobid for j in queued] == [job.jobid]
    await job.cancel(wait=True, timeout=60)
    assert job.state is JobState.CANCELLED and job.info.cancelled_by is not None


async def test_bad_script_is_refused_with_sbatchs_words(aclient):
    with pytest.raises(BadScriptError, match="No architecture specified"):
        await aclient.compute("perlmutter").submit("#!/bin/bash\necho no constraint\n")


async def test_submit_warns_about_what_slurm_would_silently_ignore(aclient):
    text = script("echo start\n#SBATCH -N 2", "-t 5")
    with pytest.warns(ScriptWarning, match="line 5.*ignore"):
        job = await aclient.compute("perlmutter").submit(text)
    await job.wait(timeout=60)
    assert job.nodes == 1  # the late directive really was ignored


async def test_a_checked_script_is_sent_without_a_second_check(aclient):
    checked = checked_script(script("echo start\n#SBATCH -N 2", "-t 5"), "perlmutter")
    assert [issue.line for issue in checked.warnings] == [5]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ScriptWarning)  # its warnings are the checker's
        job = await aclient.compute("perlmutter").submit(checked)
    await job.wait(timeout=60)
    assert job.state is JobState.COMPLETED


async def test_a_script_checked_for_no_machine_gets_the_machines_rules(aclient):
    checked = checked_script("#!/bin/bash\n#SBATCH -t 5\necho no constraint\n")
    assert checked.warnings == ()
    with (
        pytest.warns(ScriptWarning, match="no -C/--constraint"),
        pytest.raises(BadScriptError, match="No architecture specified"),
    ):
        await aclient.compute("perlmutter").submit(checked)


async def test_submit_by_path_with_args(served, aclient):
    machine = aclient.compute("perlmutter")
    path = f"{home(served)}/run.sh"
    await machine.files.upload(script('echo "$@" > args.out').encode(), path)
    job = await machine.submit(path, args=["one", "two words"])
    await job.wait(timeout=60)
    assert await machine.files.download(f"{home(served)}/args.out") == b"one two words\n"


async def test_files_with_awkward_names(served, aclient):
    machine = aclient.compute("perlmutter")
    folder = f"{home(served)}/data set #1?"
    await machine.run(["mkdir", "-p", folder])
    name = f"{folder}/scan 100%-é.bin"
    payload = bytes(range(256)) * 4
    await machine.files.upload(payload, name)
    listing = await machine.files.ls(folder)
    assert [(e.name, e.size, e.is_file) for e in listing] == [("scan 100%-é.bin", 1024, True)]
    assert listing[0].path == name
    assert await machine.files.download(name) == payload
    (entry,) = await machine.files.ls(name)
    assert entry.name == "scan 100%-é.bin" and entry.path == name
    with pytest.raises(NotFoundError, match="No such file or directory"):
        await machine.files.ls(f"{folder}/missing")


async def test_download_to_a_local_file(served, aclient, tmp_path):
    machine = aclient.compute("perlmutter")
    await machine.files.upload(b"frame 1\n", f"{home(served)}/frames.txt")
    saved = await machine.files.download(f"{home(served)}/frames.txt", to=tmp_path)
    assert saved == tmp_path / "frames.txt" and saved.read_bytes() == b"frame 1\n"


async def test_run_reports_exit_codes_as_data(aclient):
    machine = aclient.compute("perlmutter")
    result = await machine.run("echo out; echo err >&2; exit 4")
    assert (result.output, result.error, result.exit_code, result.ok) == (
        "out\n",
        "err\n",
        4,
        False,
    )
    assert (await machine.run("pwd")).output.strip().endswith("/homes/elvis")
    with pytest.raises(CommandError, match="exited 4") as raised:
        await machine.run("exit 4", check=True)
    assert raised.value.result.exit_code == 4


async def test_typed_errors(served, aclient):
    with pytest.raises(NotFoundError):
        await aclient.task("999999999")
    with pytest.raises(ValidationError, match="machine"):
        await aclient.compute("cori").jobs(all_users=True)
    green = served.create_client("elvis", level="green")
    async with make_async_client(served, green) as reader:
        assert (await reader.user()).name == "elvis"
        with pytest.raises(PermissionDeniedError, match="red client"):
            await reader.compute("perlmutter").run("true")


async def test_secrets_never_show(served, aclient):
    await aclient.user()
    text = repr(aclient) + repr(aclient._auth) + repr(aclient.credentials)
    token = aclient._auth._token
    assert token and token not in text
    assert "PRIVATE KEY" not in text and aclient.credentials.client_id in text


async def test_submit_and_run_on_an_unavailable_machine_say_so(served):
    store = served.facility.store
    doc = store.get_resource("perlmutter")
    doc.update(status="unavailable", description="System Unavailable", notes=["Maintenance"])
    store.put_resource("perlmutter", doc)
    creds = served.create_client("elvis")
    async with make_async_client(served, creds) as client:
        machine = client.compute("perlmutter")
        with pytest.raises(MachineUnavailableError, match=r"perlmutter is unavailable.*Maint"):
            await machine.submit(script("hostname", "-t 5"))
        with pytest.raises(MachineUnavailableError, match="use another machine"):
            await machine.run("hostname")
        assert not await client.compute("perlmutter").jobs()
