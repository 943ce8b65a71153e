"""One login environment for commands and jobs (issue 7): what each of them really sees.

A command, a local job and a Slurm job print their environment; the login variables must be
the same in all three (HOME, USER, LOGNAME, PATH, LANG, SHELL, SCRATCH, NERSC_HOST), and the
jobs add Slurm's (SLURM_JOB_ID, SLURM_SUBMIT_DIR, ...) on top.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.environment import SYSTEM_PATH, login_environment, login_path
from sfapi_jupyter.facility.server import LocalFacility

from ..support.tokens import api_session
from .test_api_jobs import final_row, read_file, script, submitted
from .test_isolation import backend, run  # noqa: F401 - the backend fixture

LOGIN_KEYS = ("HOME", "USER", "LOGNAME", "PATH", "LANG", "SHELL", "SCRATCH", "NERSC_HOST")


def parse_env(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.split("\0") if "=" in line)


@pytest.fixture
def site(tmp_path, backend) -> Iterator[LocalFacility]:
    config = FacilityConfig(state_dir=tmp_path / "state", backend=backend, min_pending_seconds=0.2)
    with LocalFacility(config) as running:
        yield running


@pytest.fixture
def api(site) -> Iterator[httpx.Client]:
    with api_session(site, site.create_client("elvis")) as session:
        yield session


def test_the_login_environment_is_the_same_for_every_caller(monkeypatch):
    monkeypatch.setenv("PATH", "/somewhere/odd:/usr/bin")
    monkeypatch.delenv("LANG", raising=False)
    env = login_environment("elvis", "/h/elvis", "/s/elvis", "perlmutter")
    assert env["PATH"] == login_path() and env["PATH"].endswith(SYSTEM_PATH)
    assert "/somewhere/odd" not in env["PATH"]  # never the facility's own PATH
    assert env["LANG"] == "C.UTF-8" and env["SHELL"] == "/bin/bash"
    assert (env["HOME"], env["USER"], env["LOGNAME"]) == ("/h/elvis", "elvis", "elvis")


def test_a_command_and_a_job_see_the_same_login_environment(site, api, backend):
    user = site.facility.accounts.get_user("elvis")
    assert user is not None
    command_env = parse_env(run(api, "env -0")["output"])
    jobid = submitted(api, script("env -0", "-o env-%j.out", "-J envjob"))
    assert final_row(api, jobid)["state"] == "COMPLETED"
    job_env = parse_env(read_file(api, f"{user.home}/env-{jobid}.out"))

    expected = login_environment(user.name, user.home, user.scratch, "perlmutter")
    for key in LOGIN_KEYS:
        assert command_env[key] == expected[key], key
        assert job_env[key] == expected[key], key
    assert command_env["HOME"] == str(user.home) and command_env["USER"] == "elvis"
    assert command_env["SHELL"] == "/bin/bash" and command_env["LANG"]
    assert not any(k.startswith("SLURM_") for k in command_env)

    assert job_env["SLURM_JOB_ID"] == jobid
    assert job_env["SLURM_JOB_NAME"] == "envjob"
    assert job_env["SLURM_SUBMIT_DIR"] == str(user.home)
    assert job_env["ENVIRONMENT"] == "BATCH"
    if backend == "local" or os.geteuid() == 0:  # a real Slurm names its own cluster and user
        assert job_env["SLURM_JOB_USER"] == "elvis"
        assert job_env["SLURM_JOB_UID"] == str(user.uid)
