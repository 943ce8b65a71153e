"""Copying single files between the kernel and a machine, with a progress bar.

:func:`get_file` is what ``%sfget`` does, :func:`put_file` what ``%sfput`` does; both
refuse to replace an existing file unless ``force=True``, and a failed download leaves no
half-written local file. :func:`home_directory` finds the user's home on a machine (the
file browser opens there).
"""

from __future__ import annotations

import concurrent.futures
import os
import posixpath
import re
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from ..client import Client, Machine, NotFoundError
from ..client.resources.files import Progress
from ..widgets.file_browser import human_size
from ..widgets.support import static_html
from ._common import resolve_machine, say

_HOMES: dict[tuple[str, str, str], str] = {}
_HOMES_LOCK = threading.Lock()
_PROBE = ".sfapi-jupyter-home-probe"


def home_directory(machine: Machine) -> str:
    """The user's home directory on ``machine``, as an absolute path (asked once).

    The API has no call for it: ``ls`` of a name that does not exist in ``~`` answers with
    the absolute path in its error (the local facility; a login node's ``ls``), else
    NERSC's layout ``/global/homes/<initial>/<user>`` is used.
    """
    client = machine.client
    user = client.whoami().name
    key = (client.aio.api_base_url, machine.name, user)
    with _HOMES_LOCK:
        if key in _HOMES:
            return _HOMES[key]
    home = f"/global/homes/{user[:1]}/{user}"
    try:
        machine.files.ls(f"~/{_PROBE}")
    except NotFoundError as exc:
        found = re.search(r"'(/[^']*)/" + re.escape(_PROBE) + "'", exc.message)
        if found:
            home = found.group(1)
    with _HOMES_LOCK:
        _HOMES[key] = home
    return home


class ProgressBar:
    """A progress bar in the cell's output (HTML ``<progress>``; text in a terminal),
    updated in place through its display id. Main thread only."""

    def __init__(self, verb: str, what: str) -> None:
        from IPython import get_ipython
        from IPython.display import display

        self.verb = verb
        self.what = what
        self.handle = None
        if get_ipython() is not None:  # in a plain script: one line at the end (see _say)
            bundle = self._bundle(0, None, "running", "")
            self.handle = display(bundle, raw=True, display_id=True)

    def _bundle(self, done: int, total: int | None, state: str, text: str) -> dict[str, str]:
        from html import escape

        if not text:
            share = f"{done * 100 // total}%" if total else human_size(done)
            text = f"{self.verb} {self.what} · {share}"
        maximum = total or 1
        value = min(done, maximum) if total else 0
        colour = static_html.MESSAGE_COLOURS[
            {"error": "error", "done": "success"}.get(state, "info")
        ]
        html = (
            f'<div data-testid="sf-progress" data-state="{state}" style="display:flex;'
            f"gap:8px;align-items:center;font:13px system-ui,sans-serif;accent-color:{colour}"
            f'"><progress value="{value}" max="{maximum}" style="width:240px"></progress>'
            f'<span data-testid="sf-progress-text">{escape(text)}</span></div>'
        )
        return {"text/plain": text, "text/html": html}

    def update(self, done: int, total: int | None) -> None:
        if self.handle is not None:
            self.handle.update(self._bundle(done, total, "running", ""), raw=True)

    def finish(self, size: int, text: str) -> None:
        if self.handle is not None:
            self.handle.update(self._bundle(size, size or 1, "done", text), raw=True)
        else:
            say(text)

    def fail(self, text: str) -> None:
        if self.handle is not None:
            self.handle.update(self._bundle(0, None, "error", text), raw=True)


def run_with_progress(
    client: Client,
    start: Callable[[Progress], Coroutine[Any, Any, Any]],
    bar: ProgressBar | None,
    *,
    interval: float = 0.1,
) -> Any:
    """Run ``start(progress)`` on the client's loop and block; the bar is updated from this
    (the main) thread, as ipykernel wants. Ctrl-C cancels the transfer."""
    seen: list[tuple[int, int | None]] = [(0, None)]

    def progress(done: int, total: int | None) -> None:
        seen[0] = (done, total)  # one reference swap: safe across threads

    future = client.loop_thread.submit(start(progress))
    shown = seen[0]
    try:
        while True:
            try:
                return future.result(timeout=interval)
            except concurrent.futures.TimeoutError:
                pass
            if bar is not None and seen[0] != shown:
                shown = seen[0]
                bar.update(*shown)
    except KeyboardInterrupt:
        future.cancel()
        raise


def _local_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def get_file(
    remote: str,
    local: str | os.PathLike[str] | None = None,
    *,
    machine: str | Machine | None = None,
    force: bool = False,
    client: Client | None = None,
    progress: bool = True,
) -> Path:
    """Download ``remote`` to ``local`` (default: its name in the working directory).

    Refuses to replace a local file unless ``force``; the file appears whole or not at all.

    Examples
    --------
    >>> get_file("~/examples/detector.png")                     # doctest: +SKIP
    PosixPath('detector.png')
    """
    client, handle = resolve_machine(client, machine)
    name = posixpath.basename(remote.rstrip("/"))
    if not name:
        raise ValueError(f"{remote!r} names no file; give the path of a file")
    target = Path(local).expanduser() if local is not None else Path(name)
    if target.is_dir():
        target = target / name
    if target.exists() and not force:
        raise FileExistsError(
            f"{target} already exists here; add --force (force=True) to replace it"
        )
    if not target.parent.is_dir():
        raise FileNotFoundError(f"No local directory {target.parent} to download into")
    bar = ProgressBar("Downloading", f"{handle.name}:{remote} → {target}") if progress else None
    try:
        saved = run_with_progress(
            client,
            lambda report: handle.aio.files.download(
                remote, target, overwrite=force, progress=report
            ),
            bar,
        )
    except Exception as exc:
        if bar is not None:
            bar.fail(f"Download of {remote} failed: {getattr(exc, 'message', exc)}")
        raise
    if bar is not None:
        size = _local_size(saved)
        bar.finish(size, f"Downloaded {handle.name}:{remote} → {saved} ({human_size(size)})")
    return Path(saved)


def remote_target(handle: Machine, local: Path, remote: str) -> tuple[str, bool]:
    """Where ``local`` goes for ``remote`` (inside it if it is a directory), and whether a
    file is already there."""
    remote = remote.rstrip("/") or "/"
    try:
        entries = handle.files.ls(remote)
        if is_single_file(entries, remote) and entries[0].is_symlink:
            entries = handle.files.ls(remote + "/")  # a link to a directory is that directory
    except NotFoundError:
        return remote, False
    if is_single_file(entries, remote):
        return remote, True
    inside = posixpath.join(remote, local.name)
    return inside, any(e.name == local.name for e in entries)


def is_single_file(entries: list[Any], path: str) -> bool:
    """Whether an ``ls`` of ``path`` answered with the entry of ``path`` itself (a file or a
    link), not with the contents of a directory (whose paths are ``path/name``)."""
    inside = path.rstrip("/") + "/"
    return len(entries) == 1 and not entries[0].path.startswith(inside)


def put_file(
    local: str | os.PathLike[str],
    remote: str,
    *,
    machine: str | Machine | None = None,
    force: bool = False,
    client: Client | None = None,
    progress: bool = True,
) -> str:
    """Upload ``local`` to ``remote`` (a file path, or a directory to put it in).

    Refuses to replace a remote file unless ``force``. Returns the remote path.

    Examples
    --------
    >>> put_file("scan_0042.npy", "~/data/")                    # doctest: +SKIP
    '~/data/scan_0042.npy'
    """
    client, handle = resolve_machine(client, machine)
    source = Path(local).expanduser()
    if not source.exists():
        raise FileNotFoundError(f"No local file {source} (in {Path.cwd()})")
    if source.is_dir():
        raise IsADirectoryError(f"{source} is a directory; %sfput copies one file at a time")
    target, exists = remote_target(handle, source, remote)
    if exists and not force:
        raise FileExistsError(
            f"{handle.name}:{target} already exists; add --force (force=True) to replace it"
        )
    size = _local_size(source)
    bar = ProgressBar("Uploading", f"{source} → {handle.name}:{target}") if progress else None
    try:
        run_with_progress(
            client, lambda report: handle.aio.files.upload(source, target, progress=report), bar
        )
    except Exception as exc:
        if bar is not None:
            bar.fail(f"Upload of {source} failed: {getattr(exc, 'message', exc)}")
        raise
    if bar is not None:
        bar.finish(size, f"Uploaded {source} → {handle.name}:{target} ({human_size(size)})")
    return target
