"""The facility's signing key is made once, even by processes that start at the same moment
(a tutorial room's ``facility client create`` commands, run in parallel by a script)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sfapi_jupyter.facility.auth import load_signing_key
from sfapi_jupyter.facility.config import FacilityConfig

_LOAD = """
import sys
from sfapi_jupyter.facility.auth import load_signing_key
from sfapi_jupyter.facility.config import FacilityConfig
sys.stdin.readline()  # all start, then all make the key at once
print(load_signing_key(FacilityConfig(state_dir=sys.argv[1])).thumbprint())
"""


def test_processes_starting_at_once_all_sign_with_one_key(tmp_path: Path):
    state = tmp_path / "state"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _LOAD, str(state)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)
    ]
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    answers = [proc.communicate(timeout=120) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), [err for _, err in answers]
    thumbprints = {out.strip() for out, _ in answers}
    on_disk = load_signing_key(FacilityConfig(state_dir=state)).thumbprint()
    assert thumbprints == {on_disk}
    key = FacilityConfig(state_dir=state).signing_key_path
    assert key.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in key.parent.iterdir() if p.name.startswith(".signing-key-")] == []
