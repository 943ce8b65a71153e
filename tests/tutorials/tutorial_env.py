"""A fresh local facility and the kernel environment the tutorial notebooks run in.

Used by ``test_tutorials.py`` and, to refresh the outputs saved in the notebooks (which nbval
compares against), from the command line::

    .venv/bin/python -m tests.tutorials.tutorial_env notebooks/ptychography.ipynb [...]

That executes each notebook in place against a fresh facility, then drops what must not be
saved: widget state, per-cell timing metadata. Nothing in the saved outputs may hold a key or a
token (the test checks).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sfapi_jupyter.cli.demo import ensure_demo_key, kernel_environment
from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.server import LocalFacility
from tests.support.owners import give

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
SANITIZE = NOTEBOOKS / "nbval-sanitize.cfg"
USER = "elvis"


@dataclass
class TutorialFacility:
    facility: LocalFacility
    env: dict[str, str]
    home: Path  # the facility user's home
    key_file: Path


@contextlib.contextmanager
def tutorial_facility(workdir: Path, job_envs: Path | None = None) -> Iterator[TutorialFacility]:
    """A fresh facility in ``workdir`` with the demo's key, and the kernel's environment.

    ``job_envs`` (optional) is shared by several facilities as the user's ``~/.venvs``, where
    the science notebooks make their job environment: the first notebook creates it, the
    next reuses it, as a user's second notebook would on a real machine. The user's pip
    cache is kept there too.
    """
    config = FacilityConfig(
        state_dir=workdir / "state", min_pending_seconds=0.3, scheduler_interval=0.05
    )
    with LocalFacility(config) as facility:
        key = workdir / "home" / ".superfacility" / "local-facility.pem"
        ensure_demo_key(facility.facility, USER, key)
        user = facility.facility.store.get_user(USER)
        assert user is not None
        home = Path(user["home"])
        if job_envs is not None:
            (job_envs / "venvs").mkdir(parents=True, exist_ok=True)
            (job_envs / "cache").mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:  # the facility runs jobs as the user's own OS account
                job_envs.chmod(job_envs.stat().st_mode | 0o011)
                give(facility, USER, job_envs / "venvs", job_envs / "cache")
            (home / ".venvs").symlink_to(job_envs / "venvs")
            (home / ".cache").symlink_to(job_envs / "cache")
        env = {
            **os.environ,
            **kernel_environment(facility.api_url, facility.token_url, key),
            # the automation notebook's admin commands (outages, machine status) need it
            "SFAPI_FACILITY_STATE": str(config.state_dir),
            "HOME": str(workdir / "home"),
            "SFAPI_JUPYTER_DATA": str(workdir / "records"),
        }
        yield TutorialFacility(facility, env, home, key)


def refresh_outputs(notebook: Path, job_envs: Path | None = None) -> None:
    """Execute ``notebook`` in place against a fresh facility and clean what it saved."""
    with tempfile.TemporaryDirectory() as tmp, tutorial_facility(Path(tmp), job_envs) as tf:
        subprocess.run(
            [
                *(sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook"),
                *("--execute", "--inplace", "--ExecutePreprocessor.timeout=600"),
                str(notebook),
            ],
            env=tf.env,
            cwd=notebook.parent,
            check=True,
        )
        clean_saved(notebook, tmp)


def clean_saved(notebook: Path, workdir: str) -> None:
    # the facility's files live in a temporary directory: save a stable name instead
    nb = json.loads(notebook.read_text().replace(workdir, "/local-facility"))
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
    notebook.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if os.geteuid() == 0:
        # Each notebook's facility makes the OS account 'elvis' and refuses one it did not
        # make: the last one's must go with it (under pytest, tests/conftest.py does this).
        from tests.support.host_accounts import remove_accounts_on_close

        remove_accounts_on_close()
    shared = os.environ.get("SFAPI_TEST_JOB_ENVS")
    for name in sys.argv[1:]:
        refresh_outputs(Path(name).resolve(), Path(shared) if shared else None)
