"""The one login environment of a facility user: what commands and batch jobs start with.

Commands (``/utilities/command``), the local backend's jobs and the slurm backend's
``sbatch`` all take their environment from :func:`login_environment`, so a variable is set
for all of them or for none. Batch jobs add Slurm's own variables on top: the local backend
with :func:`sfapi_jupyter.facility.backends.local_jobs.job_environment`, the slurm backend
by letting ``sbatch`` export this environment and ``slurmd`` add ``SLURM_*``.

Nothing of the facility's own environment leaks in except the time zone, the locale, and
the Python environment the facility runs in (its ``bin`` first on ``PATH``, as a loaded
module would be at NERSC), so ``python`` in a job is the one the facility was started with.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: PATH of a login shell on the facility, before the Python environment's ``bin``.
SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"
LOGIN_SHELL = "/bin/bash"
DEFAULT_LANG = "C.UTF-8"


def python_env_bin() -> str | None:
    """The ``bin`` of the virtual environment the facility runs in, if it runs in one."""
    if sys.prefix != sys.base_prefix:
        return str(Path(sys.prefix) / "bin")
    virtual_env = os.environ.get("VIRTUAL_ENV")
    return f"{virtual_env}/bin" if virtual_env else None


def login_path() -> str:
    venv_bin = python_env_bin()
    return f"{venv_bin}:{SYSTEM_PATH}" if venv_bin else SYSTEM_PATH


def login_environment(
    name: str, home: str | Path, scratch: str | Path, machine: str
) -> dict[str, str]:
    """The environment of a login shell of user ``name`` on ``machine``."""
    env = {
        "PATH": login_path(),
        "HOME": str(home),
        "USER": name,
        "LOGNAME": name,
        "SCRATCH": str(scratch),
        "SHELL": LOGIN_SHELL,
        "LANG": os.environ.get("LANG") or DEFAULT_LANG,
        "NERSC_HOST": machine,
        "TERM": "dumb",
    }
    for key in ("TZ", "PYTHONPATH"):
        if os.environ.get(key):
            env[key] = os.environ[key]
    venv_bin = python_env_bin()
    if venv_bin:
        env["VIRTUAL_ENV"] = str(Path(venv_bin).parent)
    return env
