"""The job card's live frames (``--watch``): the images a running job writes, kept here and
sent to the browser as binary buffers, never as paths the browser would fetch itself.

The card keeps the last :data:`MAX_FRAMES` frames (and at most :data:`MAX_KEPT_BYTES` of
them); the frames seen before are dropped, oldest first, and the count says how many there
were. A frame the kernel could not read is kept as a one-line error in the slider. The static
summary (a saved notebook without a kernel) shows the last frame.
"""

from __future__ import annotations

import base64
from collections import deque
from contextlib import AbstractContextManager
from html import escape
from typing import TYPE_CHECKING, Any

import traitlets as t

from . import static_html

#: Frames the card keeps (the slider goes over these; older ones are dropped).
MAX_FRAMES = 50
#: Bytes of images the card keeps at most, all frames together.
MAX_KEPT_BYTES = 64 * 1024 * 1024
#: The last frame is saved with the notebook (widget state and static summary) up to this size.
MAX_SAVED_BYTES = 2 * 1024 * 1024


class FramesMixin(t.HasTraits):
    """Traits and methods of the card's frames; mixed into ``JobCard``."""

    watch_pattern = t.Unicode("").tag(sync=True)
    """The ``--watch`` pattern as given (``""``: no frames are watched). - Type: str"""
    watch_dir = t.Unicode("").tag(sync=True)
    """The directory the pattern's files are looked for in, once known. - Type: str"""
    frames_seen = t.Int(0).tag(sync=True)
    """Frames taken so far (the card keeps the last ``max_frames``). - Type: int"""
    max_frames = t.Int(MAX_FRAMES).tag(sync=True)
    frames_note = t.Unicode("").tag(sync=True)
    """A line under the frames: nothing matched, frames not fetched. - Type: str"""
    frames_note_level = t.Unicode("info").tag(sync=True)
    last_frame = t.Dict().tag(sync=True)
    """The last frame as saved with the notebook: its facts and ``src``, a data URL."""

    if TYPE_CHECKING:  # mixed into an SfWidget, which has them

        def hold_sync(self) -> AbstractContextManager[None]: ...
        def send(self, content: Any, buffers: Any = None) -> None: ...

    def _frames_store(self) -> deque[tuple[dict[str, Any], bytes]]:
        store = self.__dict__.get("_frame_store")
        if store is None:
            store = self.__dict__["_frame_store"] = deque()
        return store

    # -- feeding ------------------------------------------------------------------------------
    def set_watch(self, pattern: str, directory: str = "") -> None:
        """Watch ``pattern`` (shown on the card); ``directory`` once it is resolved."""
        with self.hold_sync():
            self.watch_pattern = pattern
            self.watch_dir = directory

    def set_frames_note(self, text: str, level: str = "info") -> None:
        with self.hold_sync():
            self.frames_note = text
            self.frames_note_level = level

    def add_frame(self, frame: dict[str, Any], data: bytes | None = None) -> None:
        """A new frame: ``frame`` has ``name``, ``label`` and ``mime`` (or ``error``, a line
        saying why it cannot be shown); ``data`` is the image (PNG or JPEG)."""
        store = self._frames_store()
        index = self.frames_seen + 1
        meta: dict[str, Any] = {
            "index": index,
            "name": str(frame.get("name", "")),
            "path": str(frame.get("path", "")),
            "label": str(frame.get("label", "")),
            "mime": str(frame.get("mime", "")) if data else "",
            "note": str(frame.get("note", "")),
            "error": str(frame.get("error", "")),
            "size": len(data or b""),
        }
        store.append((meta, data or b""))
        while len(store) > MAX_FRAMES or (
            len(store) > 1 and sum(len(d) for _, d in store) > MAX_KEPT_BYTES
        ):
            store.popleft()
        first = store[0][0]["index"]
        self.send(
            {"type": "frame", "frame": meta, "first": first}, buffers=[data] if data else None
        )
        self.frames_seen = index  # after the frame: a view never counts one it has not got

    @property
    def frames(self) -> list[dict[str, Any]]:
        """The frames kept, oldest first (their facts, without the images)."""
        return [dict(meta) for meta, _ in self._frames_store()]

    def frame_data(self, index: int) -> bytes:
        """The image of frame ``index`` (as counted by ``frames_seen``), if still kept."""
        for meta, data in self._frames_store():
            if meta["index"] == index:
                return data
        raise KeyError(f"frame {index} is not kept (the card keeps the last {MAX_FRAMES})")

    # -- protocol -----------------------------------------------------------------------------
    def _frames_snapshot(self) -> tuple[list[dict[str, Any]], list[bytes]]:
        """The kept frames' facts, each with the number of its buffer (None: no image)."""
        metas: list[dict[str, Any]] = []
        buffers: list[bytes] = []
        for meta, data in self._frames_store():
            metas.append({**meta, "buffer": len(buffers) if data else None})
            if data:
                buffers.append(data)
        return metas, buffers

    def _remember_frame(self) -> None:
        """The last frame into the saved state, for a notebook reopened without a kernel."""
        store = self._frames_store()
        if not store:
            return
        meta, data = store[-1]
        src = ""
        if data and len(data) <= MAX_SAVED_BYTES:
            src = f"data:{meta['mime']};base64,{base64.b64encode(data).decode()}"
        self.last_frame = {**meta, "src": src}

    # -- static -------------------------------------------------------------------------------
    def frames_html(self) -> str:
        """The watched pattern and the last frame, for the static summary."""
        if not self.watch_pattern:
            return ""
        store = self._frames_store()
        last = dict(store[-1][0]) if store else dict(self.last_frame)
        where = f" in {self.watch_dir}" if self.watch_dir else ""
        seen = f"{self.frames_seen} frame{'s' if self.frames_seen != 1 else ''}"
        head = static_html.facts([("frames", f"{self.watch_pattern}{where}: {seen}")])
        body = ""
        if last:
            if store and store[-1][1] and len(store[-1][1]) <= MAX_SAVED_BYTES:
                data = store[-1][1]
                src = f"data:{last['mime']};base64,{base64.b64encode(data).decode()}"
            else:
                src = str(last.get("src") or "")
            caption = frame_caption(last)
            body = f'<div style="margin-top:4px">{static_html.muted(caption)}'
            if src:
                body += (
                    f'<br><img alt="{escape(caption)}" src="{src}" '
                    'style="max-width:360px;image-rendering:pixelated">'
                )
            body += "</div>" + static_html.message(str(last.get("error") or ""), "error")
        note = static_html.message(self.frames_note, self.frames_note_level)
        return f'<div data-section="frames">{head}{body}{note}</div>'


def frame_caption(meta: dict[str, Any]) -> str:
    """``frame 4: iter_4.npy · iteration 4`` (what the slider and the summary say)."""
    parts = [f"frame {meta.get('index', '?')}: {meta.get('name', '')}"]
    parts += [str(meta[k]) for k in ("label", "note") if meta.get(k)]
    return " · ".join(parts)
