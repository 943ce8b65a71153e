"""The remote file browser: a ``FileBrowser`` widget answered by its :class:`BrowserSession`.

:func:`file_browser` is what ``%sfls`` shows. Each directory visit costs one ``ls``
request; listings are kept until the user presses refresh (or an upload changes the
directory). Previews download the file once and are drawn here, on the kernel side
(:mod:`.previews`); downloads land in the kernel's working directory, uploads come from it.
Requests run on the client's loop thread; the widget is only touched on the main thread.
"""

from __future__ import annotations

import asyncio
import posixpath
import time
from pathlib import Path
from typing import Any

from ..client import Client, Machine, RemoteEntry
from ..widgets import FileBrowser
from ..widgets.file_browser import human_size
from . import previews
from ._common import resolve_machine
from .controllers import Controller, call
from .files import home_directory, is_single_file

#: Local files offered for upload at most (the working directory's, by name).
MAX_LOCAL_FILES = 500
#: Seconds between two progress updates sent to the browser.
PROGRESS_INTERVAL = 0.1


def message_of(error: BaseException) -> str:
    return str(getattr(error, "message", None) or error)


def local_files(directory: Path) -> list[dict[str, Any]]:
    """The uploadable files of ``directory``: regular, not hidden, by name."""
    found = []
    try:
        for item in sorted(directory.iterdir()):
            if not item.name.startswith(".") and item.is_file():
                found.append({"name": item.name, "size": item.stat().st_size})
                if len(found) >= MAX_LOCAL_FILES:
                    break
    except OSError:
        pass
    return found


class BrowserSession(Controller[FileBrowser]):
    """Answers one ``FileBrowser``'s actions: listings (cached), previews, transfers."""

    def __init__(self, client: Client, machine: Machine, widget: FileBrowser, home: str) -> None:
        super().__init__(client, widget)
        self.machine = machine
        self.home = home
        self.cache: dict[str, list[RemoteEntry]] = {}
        self.listings = 0  # ls requests made (one per directory visit)
        self._wanted = ""
        self._previewing = ""
        self._array: tuple[str, Any] | None = None
        self._cwd = Path.cwd()
        for kind, handler in (
            ("open", self._on_open),
            ("refresh", self._on_refresh),
            ("preview", self._on_preview),
            ("slice", self._on_slice),
            ("download", self._on_download),
            ("upload", self._on_upload),
            ("local?", lambda _msg: self.refresh_local()),
        ):
            self.answer(kind, handler)

    # -- paths ------------------------------------------------------------------------------------
    def absolute(self, path: str | None) -> str:
        """``~``, relative (to the home, as a login shell) and messy paths made absolute."""
        text = (path or "").strip() or "~"
        if text == "~" or text.startswith("~/"):
            text = self.home + text[1:]
        elif not text.startswith("/"):
            text = f"{self.home}/{text}"
        return posixpath.normpath(text).replace("//", "/")

    # -- listings ----------------------------------------------------------------------------------
    def list_now(self, path: str) -> list[RemoteEntry]:
        """Blocking ``ls`` of a directory (a link to one is followed), cached."""
        entries = self.machine.files.ls(path.rstrip("/") + "/")
        self.listings += 1
        self.cache[path] = entries
        return entries

    def open(self, path: str, *, refresh: bool = False) -> None:
        """Show directory ``path``: from the cache, or with one ``ls`` (in the background)."""
        widget = self.widget
        if widget is None:
            return
        path = self.absolute(path)
        self._wanted = path
        if not refresh and path in self.cache:
            widget.show_listing(path, self.cache[path])
            return
        widget.loading = True
        self.listings += 1

        def shown(result: Any) -> None:
            widget = self.widget
            if widget is None or path != self._wanted:
                return  # the user went elsewhere meanwhile
            if isinstance(result, BaseException):
                widget.show_error(f"Cannot open {path}: {message_of(result)}")
            elif is_single_file(result, path):
                # A link that points at a file: show it where it is, selected.
                widget.show_error("")
                self.preview(path)
            else:
                self.cache[path] = result
                widget.show_listing(path, result)

        self.run_soon(self.machine.aio.files.ls(path.rstrip("/") + "/"), shown)

    def _on_open(self, msg: dict[str, Any]) -> None:
        self.open(str(msg.get("path") or self.home))

    def _on_refresh(self, _msg: dict[str, Any]) -> None:
        shown = self.widget.path if self.widget is not None else ""
        self.cache.pop(shown, None)
        self.open(shown or self.home, refresh=True)
        self.refresh_local()

    def refresh_local(self) -> None:
        widget = self.widget
        if widget is not None:
            widget.cwd = str(self._cwd)
            widget.local_files = local_files(self._cwd)

    # -- previews ----------------------------------------------------------------------------------
    def entry(self, path: str) -> RemoteEntry | None:
        parent, name = posixpath.split(path)
        return next((e for e in self.cache.get(parent, []) if e.name == name), None)

    def preview(self, path: str) -> None:
        """Download ``path`` (if small enough) and show its preview."""
        widget = self.widget
        self._previewing = path
        entry = self.entry(path)
        if widget is None or (entry is not None and entry.is_dir):
            return
        if previews.kind_of(path) == "hdf5":  # the tree, read there: no download, any size
            widget.show_preview({"kind": "loading", "path": path})

            async def tree() -> tuple[dict[str, Any], list[bytes], Any]:
                text = (await self.machine.aio.h5(path).tree()).text()
                return previews.hdf5_preview(path, self.machine.name, text), [], None

            self.run_soon(tree(), lambda result: self._show(path, result))
            return
        if entry is not None and entry.size > previews.MAX_PREVIEW_BYTES:
            limit = human_size(previews.MAX_PREVIEW_BYTES)
            message = (
                f"{entry.name} is {human_size(entry.size)}; previews stop at {limit}. "
                "Download it to look at it here."
            )
            widget.show_preview({"kind": "none", "path": path, "message": message})
            return
        widget.show_preview({"kind": "loading", "path": path})

        async def fetch() -> tuple[dict[str, Any], list[bytes], Any]:
            data = await self.machine.aio.files.download(path)
            return await asyncio.to_thread(self._render, path, data, None)

        self.run_soon(fetch(), lambda result: self._show(path, result))

    def _render(
        self, path: str, data: bytes, index: list[int] | None
    ) -> tuple[dict[str, Any], list[bytes], Any]:
        kind = previews.kind_of(path)
        if kind == "image":
            info, buffers = previews.image_preview(path, data)
            return info, buffers, None
        if kind == "array":
            array = previews.load_array(data)
            info, buffers = previews.array_preview(array, index)
            return info, buffers, array
        return previews.text_preview(data), [], None

    def _show(self, path: str, result: Any) -> None:
        widget = self.widget
        if widget is None or path != self._previewing:
            return
        if isinstance(result, BaseException):
            widget.show_preview(
                {"kind": "error", "path": path, "message": f"No preview: {message_of(result)}"}
            )
            return
        info, buffers, array = result
        if array is not None:
            self._array = (path, array)
        widget.show_preview({**info, "path": path}, buffers)

    def _on_preview(self, msg: dict[str, Any]) -> None:
        self.preview(str(msg.get("path") or ""))

    def _on_slice(self, msg: dict[str, Any]) -> None:
        path = str(msg.get("path") or "")
        index = [int(i) for i in msg.get("index") or [] if isinstance(i, (int, float))]
        if self._array is None or self._array[0] != path:
            self.preview(path)
            return
        self._previewing = path
        info, buffers = previews.array_preview(self._array[1], index)
        self.widget_call("show_preview", {**info, "path": path}, buffers)

    # -- transfers ---------------------------------------------------------------------------------
    def _transfer(self, op: str, name: str, state: str, **more: Any) -> None:
        """Show a transfer's progress (main thread): ``done``, ``total``, ``message``, ..."""
        widget = self.widget
        if widget is not None:
            widget.transfer = {
                "op": op,
                "name": name,
                "state": state,
                "done": 0,
                "total": 0,
                "message": "",
                **more,
            }

    def _progress(self, op: str, name: str) -> Any:
        last = [0.0]

        def report(done: int, total: int | None) -> None:  # on the loop thread
            now = time.monotonic()
            if now - last[0] >= PROGRESS_INTERVAL or (total and done >= total):
                last[0] = now
                call(lambda: self._transfer(op, name, "running", done=done, total=total or 0))

        return report

    def _on_download(self, msg: dict[str, Any]) -> None:
        paths = [str(p) for p in msg.get("paths") or [] if isinstance(p, str)]
        files = [p for p in paths if (e := self.entry(p)) is None or not e.is_dir]
        if not files:
            self._transfer("download", "", "error", message="Select one or more files to download.")
            return
        names = [posixpath.basename(p) for p in files]
        label = ", ".join(names)
        there = [n for n in names if (self._cwd / n).exists()]
        if there and not msg.get("overwrite"):
            self._transfer(
                "download",
                label,
                "exists",
                paths=files,
                message=f"{', '.join(there)} already in {self._cwd}",
            )
            return

        async def fetch_all() -> list[Path]:
            saved = []
            for path, name in zip(files, names, strict=True):
                report = self._progress("download", name)
                local = self._cwd / name
                saved.append(await self.machine.aio.files.download(path, local, progress=report))
            return saved

        def done(result: Any) -> None:
            if isinstance(result, BaseException):
                self._transfer("download", label, "error", message=message_of(result))
                return
            size = sum(p.stat().st_size for p in result if p.exists())
            text = f"Downloaded {label} to {self._cwd} ({human_size(size)})"
            self._transfer("download", label, "done", done=size, total=size, message=text)
            self.refresh_local()

        self._transfer("download", label, "running")
        self.run_soon(fetch_all(), done)

    def _on_upload(self, msg: dict[str, Any]) -> None:
        name = str(msg.get("name") or "")
        source = self._cwd / name
        if not name or "/" in name or name.startswith(".") or not source.is_file():
            self._transfer("upload", name, "error", message=f"No file {name!r} in {self._cwd}")
            return
        widget = self.widget
        if widget is None:
            return
        directory = widget.path
        target = f"{directory.rstrip('/')}/{name}"
        exists = any(e.name == name for e in self.cache.get(directory, []))
        if exists and not msg.get("overwrite"):
            self._transfer(
                "upload", name, "exists", message=f"{name} already exists in {directory}"
            )
            return
        size = source.stat().st_size
        report = self._progress("upload", name)

        def done(result: Any) -> None:
            if isinstance(result, BaseException):
                self._transfer("upload", name, "error", total=size, message=message_of(result))
                return
            self._transfer(
                "upload",
                name,
                "done",
                done=size,
                total=size,
                message=f"Uploaded {name} to {target} ({human_size(size)})",
            )
            if self.widget is not None and self.widget.path == directory:
                self.open(directory, refresh=True)
            else:
                self.cache.pop(directory, None)

        self._transfer("upload", name, "running", total=size)
        self.run_soon(self.machine.aio.files.upload(source, target, progress=report), done)


def file_browser(
    path: str | None = None,
    *,
    machine: str | Machine | None = None,
    client: Client | None = None,
) -> FileBrowser:
    """A ``FileBrowser`` opened at ``path`` (default: your home on the machine).

    ``path`` may be absolute, start with ``~``, or be relative to the home. A file opens
    its directory with the file selected and previewed.

    Examples
    --------
    >>> browser = file_browser("~/examples")            # doctest: +SKIP
    >>> browser.selected                                # doctest: +SKIP
    ['/global/homes/e/elvis/examples/detector.png']
    """
    client, handle = resolve_machine(client, machine)
    home = home_directory(handle)
    widget = FileBrowser(machine=handle.name, home=home)
    session = BrowserSession(client, handle, widget, home).start()
    start = session.absolute(path)
    entries = session.list_now(start)
    if is_single_file(entries, start):
        parent = posixpath.dirname(start) or "/"
        widget.show_listing(parent, session.list_now(parent))
        widget.selected = [start]
        session.preview(start)
    else:
        widget.show_listing(start, entries)
    session.refresh_local()
    return widget


__all__ = ["BrowserSession", "file_browser"]
