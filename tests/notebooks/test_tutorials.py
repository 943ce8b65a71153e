"""The tutorial notebooks run top to bottom against a local facility (nbval, in a real kernel)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sfapi_jupyter.cli.demo import ensure_demo_key, kernel_environment
from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.server import LocalFacility

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@pytest.mark.parametrize("name", ["quickstart.ipynb"])
def test_notebook_runs_with_nbval(tmp_path, name):
    config = FacilityConfig(
        state_dir=tmp_path / "state", min_pending_seconds=0.3, scheduler_interval=0.05
    )
    with LocalFacility(config) as facility:
        key = tmp_path / "home" / ".superfacility" / "local-facility.pem"
        ensure_demo_key(facility.facility, "elvis", key)
        env = {
            **os.environ,
            **kernel_environment(facility.api_url, facility.token_url, key),
            "HOME": str(tmp_path / "home"),
            "SFAPI_JUPYTER_DATA": str(tmp_path / "records"),
        }
        result = subprocess.run(
            [
                *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"),
                *("--nbval-lax", "--nbval-cell-timeout=300", str(NOTEBOOKS / name)),
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert " passed" in result.stdout and "failed" not in result.stdout
        # the job the notebook submitted really ran on the facility, once
        jobs = facility.facility.store.load_jobs("perlmutter")
        assert [(j.name, j.state) for j in jobs] == [("quickstart", "COMPLETED")]
