"""Keyed and keyless, the same outputs: the quickstart's job cells, run both ways.

The cells are taken from ``notebooks/quickstart.ipynb`` (its first cell, which loads the
toolkit and makes ``Client()``, then every cell from ``machine = client.compute(...)`` on:
a command, ``%sfput``, ``%sfls``, the ``%%sfjob`` card, waiting, the job's output read back,
``%sfjobs``). They run in a real kernel (``jupyter nbconvert --execute``) twice: with a key
against the local facility, as the tutorials do (``tests/tutorials``), and keyless as
``nobody`` on the real Slurm with no key. What the user reads (stdout, and each display's
text) must be the same after the tutorials' sanitiser (``notebooks/nbval-sanitize.cfg``,
applied with nbval's own function), the user's name aside (``elvis`` is the facility's
user, ``nobody`` the keyless one). Not compared: stderr, where keyless mode says once which
way it reaches the machine (by design), and the widgets' live HTML.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from tests.browser.notebook_ui import write_notebook
from tests.tutorials.tutorial_env import NOTEBOOKS, SANITIZE, USER, tutorial_facility

from .conftest import NOBODY, KeylessHost

# `python -m nbconvert`: the environment nobody runs has no `jupyter-nbconvert` on its PATH
EXECUTE = ["-m", "nbconvert", "--to", "notebook", "--execute"]
TEXT_KINDS = ("text/plain",)
WIDGET = "application/vnd.jupyter.widget-view+json"


def job_cells() -> list[str]:
    """The quickstart's first cell and its job cells, as they are in the notebook."""
    code = [
        c.source
        for c in nbformat.read(NOTEBOOKS / "quickstart.ipynb", 4).cells
        if c.cell_type == "code"
    ]
    start = next(i for i, s in enumerate(code) if s.startswith("machine = client.compute("))
    assert "Client()" in code[0] and "%%sfjob" in "".join(code[start:]), code
    return [code[0], *code[start:]]


def what_the_user_reads(path: Path, user: str) -> list[list[str]]:
    """Per cell: stdout and each display's text, sanitised; an error fails at once."""
    patterns = get_sanitize_patterns(SANITIZE.read_text())
    cells = []
    for cell in nbformat.read(path, 4).cells:
        texts: list[str] = []
        for out in cell.get("outputs", []):
            assert out["output_type"] != "error", f"{path.name}: {out.get('evalue')}"
            if out["output_type"] == "stream" and out["name"] == "stdout":
                texts.append(out["text"])
            data = out.get("data", {})
            if WIDGET in data:
                # a live widget (the job card): its text is the state at the instant the
                # output was saved (PENDING or RUNNING by a few ms, the card being live while
                # the cell runs); its kind is compared, what it followed is checked by the
                # cells that print the job's end
                text = data.get("text/plain", "").split("(")[0]
                kind = re.sub(r": [A-Z_]+( exit \S+)?$", ": STATE", text.strip())
                texts.append(f"[live widget: {kind}]")
                continue
            texts.extend(data.get(kind, "") for kind in TEXT_KINDS)
        for regex, replace in patterns:
            texts = [re.sub(regex, replace, t) for t in texts]
        cells.append([re.sub(rf"\b{user}\b", "USER", t) for t in texts if t])
    return cells


def run_keyed(cells: list[str], workdir: Path) -> Path:
    """With a key, against the local facility (the tutorials' set-up)."""
    notebook = write_notebook(workdir, "keyed.ipynb", cells)
    with tutorial_facility(workdir) as tf:
        done = subprocess.run(
            [sys.executable, *EXECUTE, "--output", "keyed-out.ipynb", str(notebook)],
            env=tf.env,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=600,
        )
    assert done.returncode == 0, done.stderr[-4000:]
    return workdir / "keyed-out.ipynb"


def run_keyless(cells: list[str], host: KeylessHost) -> Path:
    """Keyless as nobody, whose home (``.../homes/nobody``, as the facility's homes are
    named) holds what a facility home holds when the cells start: ``examples/`` (the
    facility seeds it) and nothing else: no ``~/.superfacility`` (no key either way), and
    the kernel's own files (IPython, Jupyter, keyless records) kept in the notebook's
    directory, so that ``%sfls`` of the home lists the same entries both ways."""
    root = host.home.parent
    homes = root / "homes"
    homes.mkdir(mode=0o755)
    work = host.new_home("work-compare")  # the notebook's directory: not the home itself
    home, examples = homes / "nobody", homes / "nobody" / "examples"
    for directory in (home, examples):
        directory.mkdir(mode=0o700)
        os.chown(directory, NOBODY, NOBODY)
    notebook = write_notebook(work, "keyless.ipynb", cells)
    os.chown(notebook, NOBODY, NOBODY)
    kept_out_of_home = {
        "IPYTHONDIR": work / ".ipython",
        "JUPYTER_CONFIG_DIR": work / ".jupyter",
        "JUPYTER_DATA_DIR": work / ".jupyter-data",
        "JUPYTER_RUNTIME_DIR": work / ".jupyter-runtime",
        "XDG_CACHE_HOME": work / ".cache",
        "XDG_CONFIG_HOME": work / ".config",
        "XDG_DATA_HOME": work / ".local-share",
        "MPLCONFIGDIR": work / ".matplotlib",
        "SFAPI_JUPYTER_DATA": work / "records",
        "SFAPI_KEYLESS_STATE": work / "keyless-state",
    }
    done = host.run_command(
        [*EXECUTE, "--output", "keyless-out.ipynb", str(notebook)],
        home=home,
        extra_env={name: str(path) for name, path in kept_out_of_home.items()},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return work / "keyless-out.ipynb"


@pytest.mark.timeout(1200)
def test_the_quickstarts_job_cells_give_the_same_outputs_keyed_and_keyless(
    keyless_notebook_host: KeylessHost, tmp_path: Path
) -> None:
    cells = job_cells()
    keyed = what_the_user_reads(run_keyed(cells, tmp_path), USER)
    keyless = what_the_user_reads(run_keyless(cells, keyless_notebook_host), "nobody")
    assert keyless == keyed
    # and both did what the quickstart says: the job's output read back, in full
    printed = "".join(t for cell in keyed for t in cell)
    assert "[live widget: " in printed, keyed  # the %%sfjob card was shown both ways
    assert "frame batch 5 of 5 reconstructed\ndone" in printed, keyed
    seen = keyless_notebook_host.tripwire_seen
    assert all(" /api/v1.2/status" in p for p in seen), seen


def test_the_comparison_sees_a_difference(tmp_path: Path) -> None:
    """The sanitiser keeps what matters: another job's output would not compare equal."""
    a = write_notebook(tmp_path, "a.ipynb", ["print('x')"])
    b = write_notebook(tmp_path, "b.ipynb", ["print('y')"])
    for path, text in ((a, "Job 12 done after 0:00:05\n"), (b, "Job 13 FAILED after 0:00:06\n")):
        nb: Any = nbformat.read(path, 4)
        nb.cells[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
        nbformat.write(nb, path)
    # job ids and durations vary run to run; the words around them must match
    assert what_the_user_reads(a, USER)[0] == ["Job JOBID done after H:MM:SS\n"]
    assert what_the_user_reads(a, USER) != what_the_user_reads(b, USER)
