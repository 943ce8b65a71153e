"""Whether a process is still there, for tests that check nothing outlives what started it."""

from __future__ import annotations

import os
from pathlib import Path


def process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # A zombie still answers kill(0); it is gone for every purpose that matters here.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
