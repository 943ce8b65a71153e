"""``%load_ext sfapi_jupyter`` stays light: it registers the magics without importing the
client, the widgets or what they need (measured in ``bench/imports.py``; here, what it
imports, since a test must not assert wall-clock times)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HEAVY = [
    "anywidget",
    "authlib",
    "httpx",
    "ipywidgets",
    "numpy",
    "pandas",
    "pydantic",
    "sfapi_jupyter.client",
    "sfapi_jupyter.widgets.job_card",
]

PROBE = f"""
import json, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("%load_ext sfapi_jupyter", store_history=False)
loaded = [m for m in {HEAVY!r} if m in sys.modules]
magics = sorted(shell.magics_manager.magics["line"])
from sfapi_jupyter import Client
from sfapi_jupyter.notebook import submit_job
from sfapi_jupyter.widgets import JobCard
print(json.dumps({{"loaded": loaded, "magics": [m for m in magics if m.startswith("sf")],
                  "later": [Client.__name__, submit_job.__name__, JobCard.__name__]}}))
"""


def test_load_ext_imports_no_client_widgets_or_numerics_until_a_magic_runs():
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    # Before: httpx, pydantic, authlib, anywidget, numpy and the whole client came with it.
    assert seen["loaded"] == []
    assert {"sfjob", "sfjobs", "sfrun", "sftail", "sfls", "sfstatus"} <= set(seen["magics"])
    assert seen["later"] == ["Client", "submit_job", "JobCard"]
