"""Figures and bad inputs recorded by the tests, for ``make reliability``'s table and the docs.

Tests call :func:`record` with a measured figure and :func:`record_bad_input` with each bad
input they tried and the message the user got. Both append JSON lines under
``$SFAPI_RELIABILITY_DIR`` (default ``test-artifacts/reliability`` in the repository), which
``ci/reliability_report.py`` turns into the table and ``ci/bad_inputs_doc.py`` into
``docs/bad-inputs.md``.
"""

from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path
from typing import Any

ENV_DIR = "SFAPI_RELIABILITY_DIR"
REPO = Path(__file__).resolve().parents[2]
_lock = threading.Lock()
#: What varies from run to run in messages (ids, ports, temporary paths): replaced for the docs.
_VOLATILE = [
    (re.compile(r"https?://127\.0\.0\.1:\d+"), "http://127.0.0.1:PORT"),
    (re.compile(r"/tmp/[^\s'\"]*?/(fs|state[^/]*)/"), "STATE/"),
    (re.compile(r"(?<=[\s'\"(=])/tmp/[^\s'\":)]+"), "/tmp/…"),
    (re.compile(r"(?<=\bClient )[a-z0-9]{12,16}\b"), "CLIENT_ID"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "UUID"),
]


def artifacts_dir() -> Path:
    path = Path(os.environ.get(ENV_DIR) or REPO / "test-artifacts" / "reliability")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _append(name: str, row: dict[str, Any]) -> None:
    with _lock, (artifacts_dir() / name).open("a") as out:
        out.write(json.dumps(row, sort_keys=True) + "\n")


def record(section: str, name: str, value: float, unit: str = "", *, zero: bool = False) -> None:
    """One figure; ``zero=True`` marks a figure that must be 0 for the run to pass."""
    _append(
        "figures.jsonl",
        {"section": section, "name": name, "value": value, "unit": unit, "zero": zero},
    )


def scrub(text: str) -> str:
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def record_bad_input(surface: str, given: str, message: str) -> None:
    """A bad input tried against ``surface`` (magic, function, widget, facility) and the
    message the user got (its lines joined with " / ", volatile parts replaced)."""
    lines = [line.strip() for line in str(message).strip().splitlines() if line.strip()]
    text = scrub(" / ".join(lines))
    if len(text) > 400:
        text = text[:399] + "…"
    _append("bad-inputs.jsonl", {"surface": surface, "input": scrub(given), "message": text})


def record_text(kind: str, text: str) -> None:
    """Text a user would see (an exception's message, a widget's state, a log): scanned for
    secrets at the end of the run."""
    _append("texts.jsonl", {"kind": kind, "text": text})


def load(name: str, directory: Path | None = None) -> list[dict[str, Any]]:
    path = (directory or artifacts_dir()) / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
