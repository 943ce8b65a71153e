"""Is a real Slurm here? Skip without one, unless CI said it must be (``SFAPI_REQUIRE_SLURM=1``)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


def require_slurm() -> None:
    problem = None
    if shutil.which("sbatch") is None:
        problem = "sbatch is not on PATH"
    else:
        try:
            proc = subprocess.run(["sinfo", "-h"], capture_output=True, text=True, timeout=20)
            if proc.returncode != 0:
                problem = f"sinfo failed: {proc.stderr.strip()}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            problem = f"sinfo failed: {exc}"
    if problem is None:
        return
    message = f"no Slurm ({problem}); start it with `sudo ci/slurm-up.sh`"
    if os.environ.get("SFAPI_REQUIRE_SLURM") == "1":
        pytest.fail(f"SFAPI_REQUIRE_SLURM=1 but {message}", pytrace=False)
    pytest.skip(message)
