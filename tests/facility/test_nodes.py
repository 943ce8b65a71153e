"""An instructor sizes the machines: ``facility serve --nodes perlmutter=8`` runs 8 one-node
jobs at once (the default perlmutter has 4, so half of them would wait)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

from sfapi_jupyter.cli import main
from sfapi_jupyter.facility.config import parse_nodes

from ..support.facility import free_port
from ..support.scripts import batch_script as script
from ..support.tokens import fetch_token, task_result
from ..support.waiting import wait_for

ROOM = 8
#: Each job marks that it started, then waits (up to 60 s) until all 8 have: it completes
#: only if the 8 ran at the same time.
TOGETHER = f"""
mkdir -p "$HOME/room" && touch "$HOME/room/$SLURM_JOB_ID"
for i in $(seq 600); do
  [ "$(ls "$HOME/room" | wc -l)" -ge {ROOM} ] && echo "all {ROOM} running" && exit 0
  sleep 0.1
done
echo "only $(ls "$HOME/room" | wc -l) of {ROOM} ran at once" >&2; exit 1
"""


@pytest.fixture
def served(tmp_path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    """``sfapi-jupyter facility serve --nodes perlmutter=8`` in a process of its own."""
    state, port = tmp_path / "state", free_port()
    argv = [sys.executable, "-m", "sfapi_jupyter", "facility", "serve", "--state", str(state)]
    argv += ["--port", str(port), "--nodes", f"perlmutter={ROOM}", "--log-level", "warning"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _answers(base + "/api/v1.2/status/perlmutter"), 60, interval=0.2)
        yield base, state, proc
    finally:
        proc.terminate()
        proc.wait(60)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_serve_with_8_perlmutter_nodes_runs_8_jobs_at_once(served, capsys):
    base, state, proc = served
    create = ["facility", "client", "create", "--state", str(state), "--user", "elvis", "--json"]
    assert main(create) == 0
    made = json.loads(capsys.readouterr().out)
    creds = SimpleNamespace(client_id=made["client_id"], private_key_pem=made["private_key_pem"])
    token = fetch_token(base + "/c2id/token", creds)  # type: ignore[arg-type]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base + "/api/v1.2/", headers=headers, timeout=30) as api:
        jobids = []
        for _ in range(ROOM):
            task = api.post(
                "compute/jobs/perlmutter", data={"job": script(TOGETHER), "isPath": "false"}
            ).json()["task_id"]
            result = task_result(api, task)
            assert result["status"] == "ok", result
            jobids.append(result["jobid"])

        def ended() -> list[dict[str, str]] | None:
            rows = api.get(
                "compute/jobs/perlmutter",
                params={"sacct": "true", "kwargs": "jobid=" + ",".join(jobids)},
            ).json()["output"]
            done = [r for r in rows if r["state"] not in ("PENDING", "RUNNING", "COMPLETING")]
            return rows if len(done) == ROOM else None

        rows = wait_for(ended, 120, interval=0.5)
    assert [r["state"] for r in rows] == ["COMPLETED"] * ROOM, rows
    assert len({r["nodelist"] for r in rows}) == ROOM  # one node each
    proc.terminate()
    banner = proc.communicate(timeout=60)[0]
    assert f"perlmutter {ROOM} nodes, dtns 2, dtn01 1" in banner


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--nodes", "cori=3"], "unknown machine 'cori' in --nodes cori=3; the machines are"),
        (["--nodes", "perlmutter=0"], "from 1 to 100000, not '0'"),
        (["--nodes", "perlmutter"], "--nodes takes MACHINE=COUNT, e.g. perlmutter=40"),
        (["--nodes", "perlmutter=4", "--backend", "slurm"], "the nodes are Slurm's own"),
    ],
)
def test_bad_node_counts_are_explained(tmp_path, argv, message, capsys):
    code = main(["facility", "serve", "--state", str(tmp_path / "state"), *argv])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "state").exists()  # refused before anything was made


def test_nodes_add_to_the_defaults():
    assert parse_nodes(["perlmutter=40", "dtns=3,dtn01=2"]) == {
        "perlmutter": 40,
        "dtns": 3,
        "dtn01": 2,
    }
    assert parse_nodes(["dtns=5"])["perlmutter"] == 4
