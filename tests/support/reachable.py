"""A Python environment another OS user can run, wherever the checkout happens to be.

A test that runs the toolkit as another OS user (the facility as ``nobody``) must not use the
checkout's own files: CI may clone into a private (0700) temporary directory, where that user
can read neither the checkout nor its ``.venv`` (``No module named 'httpx'``).
:func:`reachable_python` makes, in a world-readable temporary directory, a virtual environment
of the interpreter the test venv was made from (a system Python), holding the installed
distributions the toolkit needs (the requirement closure of ``sfapi_jupyter[facility]``, each
by the files its RECORD lists) and a copy of the code under test (``sfapi_jupyter`` and
``tests/support``, taken from where this process imports them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import sfapi_jupyter

TESTS = Path(__file__).resolve().parents[1]
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")


def requirement_closure(roots: dict[str, set[str]]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``roots`` (name -> extras) need, themselves included."""
    todo = [(name, frozenset(extras)) for name, extras in roots.items()]
    extras_seen: dict[str, frozenset[str]] = {}
    found: dict[str, metadata.Distribution] = {}
    while todo:
        name, extras = todo.pop()
        dist = metadata.distribution(name)
        key = canonicalize_name(dist.metadata["Name"])
        if key in extras_seen and extras <= extras_seen[key]:
            continue
        extras_seen[key] = extras_seen.get(key, frozenset()) | extras
        found[key] = dist
        for spec in dist.requires or []:
            req = Requirement(spec)
            wanted = [{"extra": extra} for extra in extras or {""}]
            if req.marker is None or any(req.marker.evaluate(env) for env in wanted):
                todo.append((req.name, frozenset(req.extras)))
    return found


def _others_can_read(path: Path) -> bool:
    return bool(os.stat(path).st_mode & stat.S_IROTH)


def _place(source: Path, target: Path) -> None:
    """``target`` gets ``source``'s bytes: a hard link when that is possible (no copy of some
    200 MB per run) and the file is readable by others already; else a copy made readable."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if _others_can_read(source):
        try:
            os.link(source, target)
            return
        except OSError:  # another file system, or links refused: copy
            pass
    shutil.copy2(source, target)
    target.chmod(target.stat().st_mode | 0o444)


def _install(dist: metadata.Distribution, site: Path) -> None:
    files = dist.files
    if files is None:
        raise RuntimeError(
            f"{dist.metadata['Name']} has no RECORD of its files: reinstall it with pip"
        )
    for entry in files:
        if entry.parts and entry.parts[0] == "..":  # scripts in bin/: not needed
            continue
        source = Path(str(dist.locate_file(entry)))
        if source.is_file() and not (site / entry).exists():
            _place(source, site / entry)


def _others_can_run(path: Path) -> bool:
    """Whether another OS user can run ``path``: every directory on the way searchable."""
    real = Path(os.path.realpath(path))
    parents_ok = all(os.stat(p).st_mode & stat.S_IXOTH for p in real.parents)
    return parents_ok and bool(os.stat(real).st_mode & stat.S_IXOTH)


def base_interpreter() -> str:
    """The interpreter the test venv was made from, or, when other users cannot run it (a
    pyenv Python under a private /root), the system's Python of the same version: the
    distributions' compiled parts are built for that version."""
    base = getattr(sys, "_base_executable", sys.executable)
    if _others_can_run(Path(base)):
        return str(base)
    name = f"python{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(name, path="/usr/local/bin:/usr/bin:/bin")
    return system if system and _others_can_run(Path(system)) else str(base)


@contextlib.contextmanager
def reachable_python(
    extras: tuple[str, ...] = ("facility",), also: tuple[str, ...] = ()
) -> Iterator[Path]:
    """A virtual environment in a world-readable temporary directory that runs the code under
    test with the distributions it needs, and those named in ``also`` (``("h5py",)`` for the
    remote HDF5 program); yields its ``bin/python``. Removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="sfapi-reachable-"))
    try:
        root.chmod(0o755)
        venv = root / "venv"
        base = base_interpreter()
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
        python = venv / "bin" / "python"
        site = Path(
            subprocess.run(
                [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        roots: dict[str, set[str]] = {"sfapi_jupyter": set(extras), "httpx": set()}
        closure = requirement_closure(roots | {name: set() for name in also})
        for key, dist in closure.items():
            if key != "sfapi-jupyter":  # the code under test is copied below instead
                _install(dist, site)
        src = root / "src"
        shutil.copytree(Path(sfapi_jupyter.__file__).parent, src / "sfapi_jupyter", ignore=SKIP)
        (src / "tests").mkdir()
        shutil.copy2(TESTS / "__init__.py", src / "tests" / "__init__.py")
        shutil.copytree(TESTS / "support", src / "tests" / "support", ignore=SKIP)
        (site / "sfapi_jupyter_under_test.pth").write_text(f"{src}\n")
        # venv, mkdir and a checkout honour the umask (a private one makes 0700 and 0600).
        # Hard links were only made to files others may read already: none is changed here.
        for directory, _, names in os.walk(root):
            os.chmod(directory, 0o755)
            for name in names:
                path = Path(directory, name)
                mode = path.lstat().st_mode
                if stat.S_ISREG(mode) and not mode & stat.S_IROTH:
                    path.chmod(stat.S_IMODE(mode) | 0o444)
        yield python
    finally:
        shutil.rmtree(root, ignore_errors=True)


def without_checkout(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` without what points the interpreter into the checkout (``PYTHONPATH``, the
    venv's own variables), so that the copy made by :func:`reachable_python` is what runs."""
    return {k: v for k, v in env.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
