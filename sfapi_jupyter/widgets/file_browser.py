"""``FileBrowser``: a remote directory, browsed like JupyterLab's own file browser.

The widget holds state only. Listings and previews travel as custom messages (a directory
of 10,000 entries is one ``listing`` message of compact rows; the view draws only the rows
in sight); what the user does comes back as actions that the notebook layer
(:mod:`sfapi_jupyter.notebook.files`) answers: ``open``, ``refresh``, ``preview``,
``slice``, ``download``, ``upload``, ``local?``. ``selected`` is a synced trait, so the
selection is readable from Python (``browser.selected``).
"""

from __future__ import annotations

import time
from html import escape
from typing import Any

import traitlets as t

from ..client.models.files import RemoteEntry
from ._base import SfWidget
from ._static import css, esm
from .support import static_html

#: Entries of the current directory kept for the static summary (the saved notebook).
SUMMARY_ENTRIES = 30


def entry_kind(entry: RemoteEntry) -> str:
    """``d`` (directory), ``l`` (symlink) or ``f`` (anything else)."""
    return "d" if entry.is_dir else "l" if entry.is_symlink else "f"


def entry_row(entry: RemoteEntry) -> list[Any]:
    """One compact row: ``[name, kind, size, date, perms, user, group, target]``."""
    return [
        entry.name,
        entry_kind(entry),
        int(entry.size or 0),
        entry.date or "",
        entry.perms,
        entry.user or "",
        entry.group or "",
        entry.target or "",
    ]


def human_size(size: float) -> str:
    """``1536`` → ``"1.5 KiB"`` (as a file browser shows sizes)."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} PiB"  # pragma: no cover


class FileBrowser(SfWidget):
    """A remote directory: breadcrumbs, sorting, filter, previews, download and upload.

    Examples
    --------
    >>> from sfapi_jupyter.client.models.files import RemoteEntry
    >>> browser = FileBrowser(machine="perlmutter", path="/home/elvis")
    >>> browser.show_listing("/home/elvis", [RemoteEntry(name="run.out", path="/home/elvis/run.out",
    ...                                                  perms="-rw-r--r--", size=2048)])
    >>> browser.entry_count, browser.selected
    (1, [])
    """

    #: Each callback is called with the view's message (a dict with ``type`` and the rest).
    actions = {
        "open": "callback(message) to show directory message['path']",
        "refresh": "callback(message) to list the directory shown again",
        "preview": "callback(message) to preview the file message['path']",
        "slice": "callback(message) for another slice (message['index']) of an array preview",
        "download": "callback(message) to download message['paths'] (message['overwrite'])",
        "upload": "callback(message) to upload the local file message['name']",
        "local?": "callback(message) to list the kernel's working directory again",
    }

    _esm = esm("file_browser")
    _css = css("file_browser")

    machine = t.Unicode("").tag(sync=True)
    """The machine browsed. - Type: str"""
    path = t.Unicode("").tag(sync=True)
    """The directory shown. - Type: str"""
    home = t.Unicode("").tag(sync=True)
    """The user's home on the machine (the home button). - Type: str"""
    selected = t.List(t.Unicode()).tag(sync=True)
    """Full remote paths of the selected entries (set by the view). - Type: list[str]"""
    loading = t.Bool(False).tag(sync=True)
    """True while a listing is on its way. - Type: bool"""
    error = t.Unicode("").tag(sync=True)
    """The last problem, in one sentence (empty when none). - Type: str"""
    entry_count = t.Int(0).tag(sync=True)
    """Entries in the directory shown. - Type: int"""
    transfer = t.Dict().tag(sync=True)
    """The running or last transfer: ``op``, ``name``, ``done``, ``total``, ``state``
    (``running``/``done``/``error``/``exists``), ``message``. - Type: dict"""
    cwd = t.Unicode("").tag(sync=True)
    """The kernel's working directory (downloads land there, uploads come from it)."""
    local_files = t.List(t.Dict()).tag(sync=True)
    """Files in ``cwd`` that can be uploaded: ``{"name", "size"}``. - Type: list[dict]"""
    updated = t.Unicode("").tag(sync=True)
    """When the listing shown was read (local ISO time). - Type: str"""

    def __init__(self, *, machine: str, path: str = "", home: str = "") -> None:
        super().__init__(machine=machine, path=path, home=home or path)
        self._rows: list[list[Any]] = []
        self._listed_path = ""
        self._preview: tuple[dict[str, Any], list[bytes]] | None = None

    # -- feeding --------------------------------------------------------------------------------
    def show_listing(self, path: str, entries: list[RemoteEntry]) -> None:
        """Show the directory ``path`` (one message, however many entries)."""
        self._rows = [entry_row(e) for e in entries]
        self._listed_path = path
        with self.hold_sync():
            self.path = path
            self.entry_count = len(self._rows)
            self.loading = False
            self.error = ""
            self.updated = time.strftime("%Y-%m-%dT%H:%M:%S")
            self.selected = [p for p in self.selected if p.rsplit("/", 1)[0] == path]
        self._send_msg("listing", **self._listing())

    def show_error(self, text: str) -> None:
        """Say what went wrong (the listing shown stays)."""
        with self.hold_sync():
            self.loading = False
            self.error = text

    def show_preview(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """Show a preview: ``content`` has ``kind`` (text/image/array/none/error) and ``path``;
        an image's bytes travel as a binary buffer."""
        self._preview = ({"type": "preview", **content}, list(buffers or []))
        self.send(self._preview[0], buffers=self._preview[1] or None)

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The entries shown, as dicts (name, kind, size, date, perms, user, group, target)."""
        keys = ("name", "kind", "size", "date", "perms", "user", "group", "target")
        return [dict(zip(keys, row, strict=True)) for row in self._rows]

    # -- protocol -------------------------------------------------------------------------------
    def _listing(self) -> dict[str, Any]:
        return {"path": self._listed_path, "entries": self._rows}

    def _snapshot(self) -> dict[str, Any]:
        return {"listing": self._listing()}

    def _on_snapshot_request(self, _content: dict[str, Any]) -> None:
        super()._on_snapshot_request(_content)
        if self._preview is not None:
            self.send(self._preview[0], buffers=self._preview[1] or None)

    # -- static ---------------------------------------------------------------------------------
    def summary_text(self) -> str:
        chosen = f", {len(self.selected)} selected" if self.selected else ""
        return f"FileBrowser {self.machine}:{self.path} ({self.entry_count} entries{chosen})"

    def summary_html(self) -> str:
        head = static_html.heading(
            static_html.strong(f"Files on {self.machine}"),
            static_html.muted(self.path, mono=True),
            static_html.muted(f"{self.entry_count} entries"),
        )
        ordered = sorted(self._rows, key=lambda r: (r[1] != "d", str(r[0]).lower()))
        rows = [
            [
                escape(("📁 " if r[1] == "d" else "🔗 " if r[1] == "l" else "📄 ") + str(r[0]))
                + (static_html.muted(f" → {r[7]}") if r[7] else ""),
                escape("" if r[1] == "d" else human_size(r[2])),
                escape(str(r[3]).replace("T", " ")),
            ]
            for r in ordered[:SUMMARY_ENTRIES]
        ]
        more = len(ordered) - SUMMARY_ENTRIES
        body = static_html.table(["name", "size", "modified"], rows) if rows else ""
        extra = static_html.muted(f"… and {more} more") if more > 0 else ""
        chosen = (
            static_html.facts([("selected", ", ".join(self.selected))]) if self.selected else ""
        )
        error = static_html.message(self.error, "error")
        return static_html.box(head + body + extra + chosen + error, kind="file-browser")
