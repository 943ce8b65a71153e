"""The whole test run lives in its own temporary home: it never reads the user's real one.

Set before any test module is imported (``pytest_configure``), so nothing can cache a real
path first: ``HOME`` (``~/.superfacility``, ``~/.ipython``, ``~/.jupyter``, ``~/.local``), the
XDG directories (``platformdirs``: the facility's default state, the job records, pip's cache),
Jupyter's and IPython's directories, and the ``SFAPI_*`` variables a user may have exported for
NERSC (a test that wants credentials passes them itself). Subprocesses the tests start inherit
all of it. The directory is removed at the end of the run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.host_accounts import (
    FacilityAccountSweeper,
    remove_accounts_on_close,
    remove_dead_run_directories,
    start_run_directory,
)

#: Credentials and endpoints a user may have in their shell; tests must not see them.
SFAPI_VARIABLES = (
    "SFAPI_API_URL",
    "SFAPI_TOKEN_URL",
    "SFAPI_CLIENT_ID",
    "SFAPI_KEY",
    "SFAPI_SECRET",
    "SFAPI_MACHINE",
)
#: Directories Jupyter and IPython read from or write to, each moved under the run's home.
MOVED_DIRECTORIES = {
    "XDG_CONFIG_HOME": ".config",
    "XDG_DATA_HOME": ".local/share",
    "XDG_CACHE_HOME": ".cache",
    "XDG_STATE_HOME": ".local/state",
    "JUPYTER_CONFIG_DIR": ".jupyter",
    "JUPYTER_DATA_DIR": ".local/share/jupyter",
    "JUPYTER_RUNTIME_DIR": ".local/share/jupyter/runtime",
    "JUPYTERLAB_SETTINGS_DIR": ".jupyter/lab/user-settings",
    "JUPYTERLAB_WORKSPACES_DIR": ".jupyter/lab/workspaces",
    "IPYTHONDIR": ".ipython",
    "SFAPI_JUPYTER_DATA": ".local/share/sfapi-jupyter",
}
#: Unset: they would add the user's own kernels and config paths to every search.
CLEARED = ("JUPYTER_PATH", "JUPYTER_CONFIG_PATH", "JUPYTER_PREFER_ENV_PATH", "PYTHONSTARTUP")

_saved: dict[str, str | None] = {}
_home: Path | None = None


def isolated_environment(home: Path) -> dict[str, str | None]:
    """The variables this run sets (a value) or removes (None)."""
    changes: dict[str, str | None] = {"HOME": str(home), "USERPROFILE": str(home)}
    for name, relative in MOVED_DIRECTORIES.items():
        changes[name] = str(home / relative)
    for name in (*SFAPI_VARIABLES, *CLEARED):
        changes[name] = None
    return changes


def pytest_configure(config: pytest.Config) -> None:
    global _home
    # Every temporary file of the run (pytest's tmp_path too) in one locked directory of its
    # own, so that a run only ever removes its own facilities' OS accounts.
    _saved["TMPDIR"] = os.environ.get("TMPDIR")
    start_run_directory()
    _home = Path(tempfile.mkdtemp(prefix="sfapi-test-home-"))
    for name, value in isolated_environment(_home).items():
        _saved[name] = os.environ.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
            if name != "USERPROFILE":
                Path(value).mkdir(parents=True, exist_ok=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    for name, value in _saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved.clear()
    if _home is not None:
        shutil.rmtree(_home, ignore_errors=True)


@pytest.fixture(scope="session")
def test_home() -> Path:
    """The run's temporary home directory (``HOME`` during the whole run)."""
    assert _home is not None
    return _home


@pytest.fixture(autouse=True)
def facility_os_accounts_removed() -> Iterator[None]:
    """Run as root, the OS accounts a test's facilities made go with the test: a facility
    never adopts an account it did not make, so the next test's ``elvis`` must be new."""
    yield
    if os.geteuid() == 0:
        _sweeper().sweep()


_SWEEPER: list[FacilityAccountSweeper] = []


def _sweeper() -> FacilityAccountSweeper:
    if not _SWEEPER:
        _SWEEPER.append(FacilityAccountSweeper())
    return _SWEEPER[0]


def pytest_sessionstart(session: pytest.Session) -> None:
    if os.geteuid() == 0:
        # The host's accounts before the run are never removed, but for a killed earlier
        # run's leftovers (see FacilityAccountSweeper).
        _sweeper().sweep()
        remove_accounts_on_close()
    remove_dead_run_directories()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if os.geteuid() == 0:
        _sweeper().sweep()  # a module's facility closed after its last test
