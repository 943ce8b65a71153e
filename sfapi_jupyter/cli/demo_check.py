"""``sfapi-jupyter demo --check``: every tutorial notebook, headless, against a fresh facility.

Each notebook in ``notebooks/`` runs top to bottom in its own kernel (nbclient), in a
temporary directory holding a new facility, the demo key and Jupyter's directories, so
nothing of the user's (``~/.superfacility``, ``~/.jupyter``, the job records) is read or
written. A failing cell stops that notebook; the report names the notebook, the cell's
number and first line, and the error, and the executed copy is kept for a look. The exit
status is the number of failed notebooks (0: all passed), capped at 1 for the shell.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .demo import (
    ensure_demo_key,
    jupyter_environment,
    kernel_environment,
    notebook_sources,
    tutorial_notebooks,
)

#: Seconds one cell may take (a tutorial's first cell may build a job environment).
CELL_TIMEOUT = 1200


@dataclass
class NotebookResult:
    name: str
    ok: bool
    seconds: float
    failure: str = ""
    executed: Path | None = None


def _first_line(source: str) -> str:
    lines = [line for line in source.strip().splitlines() if line.strip()]
    line = lines[0] if lines else ""
    return line if len(line) <= 70 else line[:67] + "..."


def run_notebook(path: Path, workdir: Path, env: dict[str, str]) -> NotebookResult:
    """Run one notebook in ``workdir`` with ``env``; the executed copy is saved there."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    notebook = nbformat.read(path, as_version=4)
    current: dict[str, Any] = {"index": -1, "source": ""}
    code_cells = [i for i, cell in enumerate(notebook.cells) if cell.cell_type == "code"]

    def on_cell_start(cell: Any, cell_index: int, **_: Any) -> None:
        current.update(index=cell_index, source=cell.source)

    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
        on_cell_start=on_cell_start,
    )
    executed = workdir / path.name
    started = time.monotonic()
    try:
        client.execute(env=env, cwd=str(workdir))
        ok, failure = True, ""
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        index = current["index"]
        number = code_cells.index(index) + 1 if index in code_cells else index + 1
        if isinstance(exc, CellExecutionError):
            what = f"{exc.ename}: {exc.evalue}".strip(": ")
        else:
            what = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        ok = False
        failure = (
            f"code cell {number} (cell {index + 1} of {len(notebook.cells)}) failed: {what}\n"
            f"    the cell begins: {_first_line(current['source'])}"
        )
    nbformat.write(notebook, executed)
    return NotebookResult(path.name, ok, time.monotonic() - started, failure, executed)


def check_notebooks(
    names: list[str] | None = None, keep: bool = False, source: Path | None = None
) -> int:
    """Run the notebooks (all of ``notebooks/``, or ``names``); print a report; 0 if all pass.

    ``source`` is another folder of notebooks (tests).
    """
    from ..facility.config import FacilityConfig
    from ..facility.server import LocalFacility

    notebooks = sorted(source.glob("*.ipynb")) if source else tutorial_notebooks()
    if names:
        notebooks = [nb for nb in notebooks if nb.name in names or nb.stem in names]
    if not notebooks:
        where = source or notebook_sources() or "this installation (run it from a checkout)"
        print(f"No notebooks to check in {where}.")
        return 1
    root = Path(tempfile.mkdtemp(prefix="sfapi-demo-check-"))
    print(f"Checking {len(notebooks)} notebook(s) against a fresh local facility in {root}")
    results: list[NotebookResult] = []
    try:
        for number, path in enumerate(notebooks, 1):
            base = root / path.stem
            workdir = base / "notebooks"
            workdir.mkdir(parents=True)
            for helper in path.parent.iterdir():  # helper modules and data beside the notebooks
                if (
                    helper.is_file()
                    and helper.suffix != ".ipynb"
                    and not helper.name.startswith(".")
                ):
                    shutil.copy2(helper, workdir / helper.name)
            print(f"[{number}/{len(notebooks)}] {path.name} ...", flush=True)
            config = FacilityConfig(state_dir=base / "state")
            with LocalFacility(config) as facility:
                key = base / "demo" / "key.pem"
                client_id = ensure_demo_key(facility.facility, "elvis", key)
                env = {
                    **os.environ,
                    **kernel_environment(
                        facility.api_url, facility.token_url, key, client_id, config.state_dir
                    ),
                    **jupyter_environment(base / "demo"),
                    "HOME": str(base / "home"),
                    "PYTHONUNBUFFERED": "1",
                }
                (base / "home").mkdir()
                try:
                    result = run_notebook(path, workdir, env)
                finally:
                    # Each notebook's facility is fresh: as root, the OS accounts it made go
                    # with it, else the next one refuses "elvis" as an account it did not make.
                    facility.facility.accounts.remove_os_accounts()
            results.append(result)
            if result.ok:
                print(f"      ok ({result.seconds:.0f} s)", flush=True)
            else:
                print(f"      FAILED after {result.seconds:.0f} s: {result.failure}")
                print(f"      executed copy: {result.executed}", flush=True)
    finally:
        failed = [r for r in results if not r.ok]
        if not failed and not keep:
            shutil.rmtree(root, ignore_errors=True)
    passed = len(results) - len(failed)
    print(f"{passed} of {len(notebooks)} notebook(s) passed.")
    for result in failed:
        print(f"  FAILED {result.name}: {result.failure}")
    return 0 if not failed and len(results) == len(notebooks) else 1
