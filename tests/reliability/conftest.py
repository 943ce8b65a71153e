"""The reliability suite: figures for issue 10, recorded for ``make reliability``'s table.

Every log record of the run goes to ``<artifacts>/logs/reliability.log`` (the secret scan reads
it), and the secret scan (``test_secrets.py``) runs after every other test of the session.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.support.figures import artifacts_dir


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The scan looks at what the other tests left behind: it goes last.
    last = [i for i in items if i.nodeid.startswith("tests/reliability/test_secrets.py")]
    items[:] = [i for i in items if i not in last] + last


@pytest.fixture(scope="session", autouse=True)
def log_to_artifacts() -> Iterator[None]:
    logs = artifacts_dir() / "logs"
    logs.mkdir(exist_ok=True)
    handler = logging.FileHandler(logs / "reliability.log")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(min(old_level or logging.WARNING, logging.INFO))
    quiet = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    for logger in quiet:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
