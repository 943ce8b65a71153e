"""The tutorial notebooks run top to bottom against a local facility (nbval, in a real kernel).

Each notebook gets a fresh facility. The science notebooks compare their outputs with the ones
saved in them (``--nbval``): what legitimately varies (times, job ids, paths) is sanitised by
``notebooks/nbval-sanitize.cfg``; only cells showing live widgets (job cards, tails), whose
content depends on when the kernel looked, carry the ``nbval-ignore-output`` tag. The science
cells print stable summaries and assert what must hold (the ptychography error falls, the
virtual images have the expected shape and contrast). Refresh the saved outputs with
``python -m tests.tutorials.tutorial_env notebooks/NAME.ipynb``.

The science notebooks make their job environment (py4DSTEM + abTEM, about 1 GB) on the facility
through the API. The facilities of one test session share the user's ``~/.venvs``, so the first
notebook creates it and the next reuses it; set ``SFAPI_TEST_JOB_ENVS`` to a directory to keep
it across sessions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .tutorial_env import NOTEBOOKS, SANITIZE, TutorialFacility, tutorial_facility

TUTORIALS = ["ptychography.ipynb", "fourdstem.ipynb", "automation.ipynb"]


@pytest.fixture(scope="session")
def job_envs(tmp_path_factory) -> Path:
    shared = os.environ.get("SFAPI_TEST_JOB_ENVS")
    return Path(shared) if shared else tmp_path_factory.mktemp("job-envs")


def run_nbval(tf: TutorialFacility, notebook: Path, cwd: Path, *, lax: bool = False) -> str:
    mode = ["--nbval-lax"] if lax else ["--nbval", "--nbval-sanitize-with", str(SANITIZE)]
    started = time.monotonic()
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *mode),
            *("--nbval-cell-timeout=600", str(notebook)),
        ],
        env=tf.env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1100,
    )
    print(f"{notebook.name}: {time.monotonic() - started:.0f} s under nbval")
    # The first failing cell says why (the later ones usually fail because of it).
    head, tail = result.stdout[:8000], result.stdout[-4000:]
    assert result.returncode == 0, head + "\n[...]\n" + tail + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
    return result.stdout


def test_quickstart_runs_with_nbval(tmp_path):
    with tutorial_facility(tmp_path) as tf:
        run_nbval(tf, NOTEBOOKS / "quickstart.ipynb", tmp_path, lax=True)
        # the job the notebook submitted really ran on the facility, once
        jobs = tf.facility.facility.store.load_jobs("perlmutter")
        assert [(j.name, j.state) for j in jobs] == [("quickstart", "COMPLETED")]


# Making the job environment (about 1 GB of wheels) comes on top of the notebook's own minute
# or two on a loaded 2-core machine.
@pytest.mark.timeout(1200)
@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_runs_and_matches_its_saved_outputs(tmp_path, job_envs, name):
    with tutorial_facility(tmp_path, job_envs) as tf:
        run_nbval(tf, NOTEBOOKS / name, tmp_path)
        jobs = {
            machine: [(j.name, j.state) for j in tf.facility.facility.store.load_jobs(machine)]
            for machine in ("perlmutter", "dtns")
        }
    if name == "ptychography.ipynb":
        assert jobs["perlmutter"] == [("ptycho", "COMPLETED")]
    elif name == "fourdstem.ipynb":
        names = sorted(jobs["perlmutter"])
        assert names[0] == ("fourdstem", "COMPLETED") and len(names) == 5, names
        assert set(names) == {("fourdstem", "COMPLETED"), ("fourdstem-sim", "COMPLETED")}
    else:
        # the naive submit was cancelled, the planned one ran after the outage, the
        # failover and the command-line run went to dtns
        states = {state for _, state in jobs["perlmutter"]}
        assert any(state.startswith("CANCELLED") for state in states), jobs
        assert ("scan1", "COMPLETED") in jobs["perlmutter"]
        assert {n for n, s in jobs["dtns"] if s == "COMPLETED"} >= {"scan1", "scan2", "scan3"}


def test_automation_script_runs_from_the_command_line(tmp_path):
    """The notebook's loop as a plain script: with perlmutter down it fails over to dtns."""
    with tutorial_facility(tmp_path) as tf:
        status = tf.facility.facility.store.get_resource("perlmutter")
        tf.facility.facility.store.put_resource(
            "perlmutter", {**status, "status": "unavailable", "notes": ["test"]}
        )
        result = subprocess.run(
            [sys.executable, str(NOTEBOOKS / "automation.py"), "--scans", "2"],
            env=tf.env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "perlmutter is unavailable (test): trying the next machine"
        assert "submitted 2 job(s) on dtns" in lines
        results = [json.loads(line) for line in lines if line.startswith("{")]
        assert [r["scan"] for r in results] == [1, 2]
        assert [r["frames"] for r in results] == [600, 1200]
        assert [j.state for j in tf.facility.facility.store.load_jobs("dtns")] == ["COMPLETED"] * 2


def test_saved_notebooks_hold_no_secrets():
    """No key, token or facility path is saved with a notebook's outputs."""
    for path in NOTEBOOKS.glob("*.ipynb"):
        text = path.read_text()
        assert "PRIVATE KEY" not in text, path
        assert not re.search(r"eyJ[\w-]{10,}\.", text), path  # a JWT
        assert "/tmp/" not in text, path
        nb = json.loads(text)
        assert "widgets" not in nb["metadata"], path
