"""The acceptance test of issue 17: the quickstart's job cells, keyless, under nbval.

As ``nobody`` on the real Slurm with no key, a notebook made from the quickstart's job cells
runs in a real kernel (``pytest --nbval-lax``; the cells assert what a user would see): the
``%%sfjob`` card reaches COMPLETED with its output streamed, ``%sfcancel`` cancels a second
job, ``%sfjobs`` lists both, ``%sftail`` follows a growing file, ``%sfaccount`` shows the Slurm
accounts and says balances need a key, ``%sfls`` lists the home; then
a second notebook (a new kernel: a restart) reattaches with ``%sfjob JOBID``. The tripwire
at ``SFAPI_API_URL`` sees public status reads only.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest

from .conftest import NOBODY, KeylessHost

HELPERS = """\
%load_ext sfapi_jupyter
from sfapi_jupyter import Client

from sfapi_jupyter.widgets.support.mainthread import dispatcher

def wait_for(predicate, timeout=180):
    # widget updates run on this (the main) thread: let them in while waiting
    assert dispatcher().wait_until(predicate, timeout), "timed out"

client = Client()
assert client.aio.keyless, client
"""

SESSION = [
    HELPERS,
    "%sfstatus",
    """\
%%sfjob --out analysis
#!/bin/bash
#SBATCH -C cpu
#SBATCH -q debug
#SBATCH -t 5
#SBATCH -J quickstart
for batch in 1 2 3; do
    echo "frame batch $batch of 3 reconstructed"
    sleep 1
done
echo "done"
""",
    """\
card = _
wait_for(lambda: card.state == "COMPLETED" and "done" in card.output("stdout"))
assert card.output("stdout").splitlines()[0] == "frame batch 1 of 3 reconstructed"
open("jobid.txt", "w").write(analysis.jobid)
""",
    """\
%%sfjob --out second
#!/bin/bash
#SBATCH -C cpu
#SBATCH -t 5
#SBATCH -J second
sleep 300
""",
    "%sfcancel {second.jobid}",
    """\
second.wait(timeout=120)
assert second.state.value == "CANCELLED", second.state
""",
    "%sfjobs --out queue",
    """\
wait_for(lambda: {analysis.jobid, second.jobid} <= {r["jobid"] for r in queue.rows})
""",
    """\
machine = client.compute("perlmutter")
grow = machine.submit(
    "#!/bin/bash\\n#SBATCH -C cpu\\n#SBATCH -t 5\\n"
    "for i in 1 2 3 4 5; do echo line $i >> grow.txt; sleep 1; done\\n"
)
wait_for(lambda: "grow.txt" in [e.name for e in machine.files.ls("~")])
""",
    "tail = %sftail grow.txt",
    """\
wait_for(lambda: "line 5" in tail.lines)
assert tail.lines[:2] == ["line 1", "line 2"], tail.lines
""",
    "%sfaccount --out account",
    """\
assert account.user["name"] == "nobody" and [p["project"] for p in account.projects] == ["root"]
assert "balances need an SF API key" in " ".join(m["text"] for m in account.messages)
""",
    "%sfls --out files",
    """\
names = [e["name"] for e in files.entries]
assert f"slurm-{analysis.jobid}.out" in names and "grow.txt" in names, names
""",
]

RESTARTED = [
    HELPERS,
    "jobid = open('jobid.txt').read().strip()",
    "%sfjob {jobid}",
    """\
card = _
wait_for(lambda: card.state == "COMPLETED" and "done" in card.output("stdout"))
""",
]


def notebook(cells: list[str], path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    os.chown(path, NOBODY, NOBODY)
    return path


@pytest.mark.timeout(900)
def test_the_quickstarts_job_cells_run_keyless_under_nbval(keyless_notebook_host: KeylessHost):
    host = keyless_notebook_host
    home = host.new_home("home-notebook")
    for name, cells in (("session", SESSION), ("restarted", RESTARTED)):
        path = notebook(cells, home / f"{name}.ipynb")
        result = host.run_command(
            [
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--nbval-lax",
                "--nbval-cell-timeout=300",
                str(path),
            ],
            home=home,
        )
        assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
        assert " passed" in result.stdout and "failed" not in result.stdout
    seen = host.tripwire_seen
    assert all(" /api/v1.2/status" in p for p in seen), seen
    print(json.dumps({"tripwire_requests": len(seen)}))


def test_nbval_is_in_the_reachable_python(keyless_notebook_host: KeylessHost) -> None:
    done = keyless_notebook_host.run_command(["-c", "import nbval, ipykernel"])
    assert done.returncode == 0, done.stderr
    assert isinstance(done, subprocess.CompletedProcess)
