"""Target 4: start-up cost, this project against sfapi-client.

Each figure is the median over ``runs`` fresh interpreters, alternating the two clients:

* ``from sfapi_jupyter import Client`` against ``from sfapi_client import Client`` (the whole
  interpreter start; ``import sfapi_jupyter`` alone loads nothing until a name is used, so
  the first name a user takes is what is timed);
* ``%load_ext sfapi_jupyter`` against ``import sfapi_client`` inside an IPython shell (the
  time of that one line, IPython itself already loaded, as in a kernel).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

_IN_SHELL = """
import time, sys
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
start = time.perf_counter()
shell.run_cell({line!r})
print(time.perf_counter() - start)
"""


def _interpreter(code: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code], check=True, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def _in_shell(line: str) -> float:
    out = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", _IN_SHELL.format(line=line)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def run(runs: int = 5) -> dict[str, Any]:
    ours_import, theirs_import, ours_ext, theirs_shell = [], [], [], []
    for _ in range(runs):
        ours_import.append(_interpreter("from sfapi_jupyter import Client"))
        theirs_import.append(_interpreter("from sfapi_client import Client"))
        ours_ext.append(_in_shell("%load_ext sfapi_jupyter"))
        theirs_shell.append(_in_shell("import sfapi_client"))
    return {
        "import": {
            "ours": statistics.median(ours_import),
            "theirs": statistics.median(theirs_import),
        },
        "load_ext": {
            "ours": statistics.median(ours_ext),
            "theirs": statistics.median(theirs_shell),
        },
    }
