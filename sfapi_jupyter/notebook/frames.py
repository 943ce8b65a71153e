"""Live frames from a running job: ``%%sfjob --watch 'out/iter_*.npy'`` (and ``watch=`` of
:func:`~.jobs.job_card`) shows each new matching file in the job card as it is written.

How the files are found and fetched (:class:`FrameWatch`, a task of the card's feed):

* one ``ls`` of the pattern's directory per look, globbed here (``fnmatch``) — a relative
  pattern is relative to the job's working directory; a wildcard in the directory part is
  refused (one listing per look must answer);
* looks on the beats of the machine's shared clock (``machine.tails.aligned``), so they go
  out with the card's tail commands: every second while files come, slower (up to
  :data:`MAX_FRAME_INTERVAL`) while the directory does not change;
* a file is fetched once its size and modification time are the same in two consecutive
  looks: a file still being written is not taken (one that appeared by rename passes at the
  second look). If the content is still cut short (a writer that paused longer than a look),
  it is not shown, and taken again only once it has changed;
* each file is fetched once; after the job ends nothing is fetched but the last matching file,
  if it was not fetched yet;
* a file last written before the job started (an earlier run's, in the same directory) is left
  out, and said so once; it is taken if the job writes it again. This compares the listing's
  date with the job's start time, both the machine's clock; where either is missing or the
  date is not ISO (the SF API does not publish its format), every matching file counts.

PNG and JPEG are shown as they are; a ``.npy`` array is drawn to a PNG here with the file
browser's colour map (:mod:`.previews`): 2-D, RGB ``(y, x, 3)``, or the last image of a stack
``(n, y, x)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import io
import logging
import posixpath
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..client import NotFoundError, SfApiError
from ..client.models.jobs import parse_slurm_time
from . import previews
from .controllers import TAIL_INTERVAL

if TYPE_CHECKING:
    import datetime as dt

    from ..client import AsyncJob, AsyncMachine
    from ..client.models.files import RemoteEntry
    from .records import JobRecord

log = logging.getLogger(__name__)

#: The file types a frame can be, by suffix.
FRAME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".npy": "array"}
#: Seconds between looks while the directory does not change, at most.
MAX_FRAME_INTERVAL = 5.0
#: A frame file larger than this is not fetched (the download carries it base64 in JSON).
MAX_FRAME_BYTES = previews.MAX_PREVIEW_BYTES
_GLOB_CHARS = re.compile(r"[*?\[]")
_PNG_END = b"IEND\xaeB`\x82"


def check_watch_pattern(pattern: Any) -> str:
    """``pattern`` if frames can be watched with it; else ValueError saying what to write."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise ValueError(
            "--watch needs a file pattern such as 'out/iter_*.npy' (PNG, JPEG or .npy files)"
        )
    pattern = pattern.strip()
    directory, name = posixpath.split(pattern)
    if _GLOB_CHARS.search(directory):
        raise ValueError(
            f"--watch {pattern!r}: a wildcard in the directory part is not followed (one listing "
            f"of one directory per look); name the directory and glob the file name, e.g. "
            f"'out/iter_*.npy'"
        )
    if not name:
        raise ValueError(
            f"--watch {pattern!r} names a directory: add the file name pattern, e.g. "
            f"'{pattern.rstrip('/')}/iter_*.npy'"
        )
    suffix = posixpath.splitext(name)[1].lower()
    if suffix not in FRAME_TYPES:
        raise ValueError(
            f"--watch {pattern!r}: frames are PNG, JPEG or .npy files, so the pattern must end "
            f"in .png, .jpg, .jpeg or .npy (e.g. 'out/iter_*.npy'); save the frames in one of "
            f"those formats"
        )
    return pattern


def natural_key(name: str) -> list[Any]:
    """``iter_2`` before ``iter_10``: digit runs compare as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def iteration_label(name: str) -> str:
    """``iteration 40`` for ``iter_0040.npy`` (the last number in the name), else ``""``."""
    numbers = re.findall(r"\d+", posixpath.splitext(name)[0])
    return f"iteration {int(numbers[-1])}" if numbers else ""


def job_directory(job: AsyncJob, record: JobRecord | None) -> str | None:
    """The job's working directory: squeue/sacct's (``--chdir`` applied), else the recorded."""
    info = job.info
    if info is not None and info.work_dir:
        return info.work_dir
    if record is None or not record.work_dir:
        return None
    return posixpath.join(record.work_dir, record.chdir) if record.chdir else record.work_dir


class IncompleteFrame(ValueError):
    """The file's content is cut short: it is still being written."""


def frame_image(name: str, data: bytes) -> tuple[bytes, str, str]:
    """(image, mime type, note) of a frame file; ValueError with one line when it is not one."""
    if not data:
        raise IncompleteFrame(f"{name} is empty")
    suffix = posixpath.splitext(name)[1].lower()
    if suffix == ".png":
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            raise ValueError(f"{name} is not a PNG image (it does not start as one)")
        if not data.rstrip(b"\0").endswith(_PNG_END):
            raise IncompleteFrame(f"{name} is not a complete PNG image (no end chunk)")
        return data, "image/png", ""
    if suffix in (".jpg", ".jpeg"):
        if not data.startswith(b"\xff\xd8\xff"):
            raise ValueError(f"{name} is not a JPEG image (it does not start as one)")
        if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
            raise IncompleteFrame(f"{name} is not a complete JPEG image (no end marker)")
        return data, "image/jpeg", ""
    return _array_image(name, data)


def _array_image(name: str, data: bytes) -> tuple[bytes, str, str]:
    from numpy.lib import format as npy

    stream = io.BytesIO(data)
    try:
        version = npy.read_magic(stream)
        read_header = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        shape, _, dtype = read_header(stream)
    except ValueError as exc:
        if data[:6] == b"\x93NUMPY"[: len(data[:6])] and len(data) < 1024:
            raise IncompleteFrame(
                f"{name} is not a complete .npy file (its header is cut short)"
            ) from None
        raise ValueError(f"{name} is not a .npy file ({exc})") from None
    if dtype.hasobject:
        raise ValueError(f"{name} holds Python objects, not numbers: save a numeric array")
    expected = stream.tell() + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) < expected:
        raise IncompleteFrame(
            f"{name} is not a complete .npy file ({len(data)} of {expected} bytes)"
        )
    array = previews.load_array(data)
    if array.ndim == 3 and array.shape[-1] in (3, 4) and array.shape[0] > 4:
        return previews.png_bytes(_rgb(array[..., :3])), "image/png", "RGB"
    note = ""
    if array.ndim == 3 and array.shape[0] > 0:
        note = f"stack of {array.shape[0]}: the last image"
        array = array[-1]
    if array.ndim != 2 or 0 in array.shape:
        raise ValueError(
            f"{name}: a {array.ndim}-D array {tuple(array.shape)} is not an image; save a 2-D "
            f"array (y, x), an RGB image (y, x, 3) or a stack (n, y, x)"
        )
    info, buffers = previews.array_preview(array)
    span = f"{_number(info['vmin'])} … {_number(info['vmax'])}"
    return buffers[0], "image/png", "; ".join(filter(None, [note, info.get("note", ""), span]))


def _rgb(array: np.ndarray) -> np.ndarray:
    if array.dtype == np.uint8:
        return array
    values = np.nan_to_num(array.astype(np.float64))
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 1:  # matplotlib's convention for float RGB
        return (values * 255).astype(np.uint8)
    return ((values - low) / ((high - low) or 1.0) * 255).astype(np.uint8)


def _number(value: float) -> str:
    return f"{value:.3g}"


Stamp = tuple[float, "str | None"]


class FrameWatch:
    """Finds and fetches the frames of one job card; see the module docstring.

    ``show(method, *args)`` changes the card (the feed's ``widget_call``). ``looks`` and
    ``fetches`` count the listings and downloads (diagnostics and tests).
    """

    def __init__(self, machine: AsyncMachine, pattern: str, show: Callable[..., None]) -> None:
        self.machine = machine
        self.pattern = check_watch_pattern(pattern)
        self.subdir, self.glob = posixpath.split(self.pattern)
        self.show = show
        self.directory = ""
        self.looks = 0
        self.fetches = 0
        self._last: dict[str, Stamp] = {}
        self._taken: set[str] = set()
        self._incomplete: dict[str, tuple[Stamp, str]] = {}
        self._matched = False
        self._listing_failed = False
        self._started_at: dt.datetime | None = None
        self._earlier: set[str] = set()

    def resolve(self, work_dir: str | None) -> str:
        """The directory to list: the pattern's, against the job's working directory."""
        if self.subdir.startswith(("/", "~")):
            return self.subdir
        base = work_dir or "~"
        return posixpath.normpath(posixpath.join(base, self.subdir)) if self.subdir else base

    async def run(
        self,
        work_dir: Callable[[], str | None],
        started: asyncio.Event,
        ended: asyncio.Event,
        finished: Callable[[], bool],
        started_at: Callable[[], dt.datetime | None] = lambda: None,
    ) -> None:
        """Look until ``ended``; then, if the job ``finished``, one last look. ``started_at``
        is the job's start time (files older than it are an earlier run's)."""
        try:
            await self._run(work_dir, started, ended, finished, started_at)
        except Exception as exc:  # a bug here must show on the card, not vanish with the task
            log.exception("frames of %s on %s failed", self.pattern, self.machine.name)
            self.show("set_frames_note", f"Frames stopped: {exc}", "error")

    async def _run(
        self,
        work_dir: Callable[[], str | None],
        started: asyncio.Event,
        ended: asyncio.Event,
        finished: Callable[[], bool],
        started_at: Callable[[], dt.datetime | None],
    ) -> None:
        await started.wait()  # the job's working directory is known once it runs
        self.directory = self.resolve(work_dir())
        self._started_at = started_at()
        self.show("set_watch", self.pattern, self.directory)
        interval = TAIL_INTERVAL
        while not ended.is_set():
            changed = await self._look(final=False)
            interval = TAIL_INTERVAL if changed else min(interval * 1.5, MAX_FRAME_INTERVAL)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(ended.wait(), self.machine.tails.aligned(interval))
        if finished():
            await self._look(final=True)

    async def _list(self) -> list[RemoteEntry] | None:
        self.looks += 1
        try:
            entries = await self.machine.files.ls(self.directory)
        except NotFoundError:
            entries = []  # not made yet
        except SfApiError as exc:
            self._listing_failed = True
            self.show("set_frames_note", f"Cannot list {self.directory}: {exc.message}", "warning")
            return None
        if self._listing_failed:
            self._listing_failed = False
            self.show("set_frames_note", "", "info")
        matches = [e for e in entries if not e.is_dir and fnmatch.fnmatchcase(e.name, self.glob)]
        earlier = {e.name for e in matches if self._written_before_the_job(e)}
        if earlier != self._earlier:  # said when it changes: more found, or some written again
            self._earlier = earlier
            names = sorted(earlier, key=natural_key)
            self.show(
                "set_frames_note",
                f"{len(names)} file(s) written before this job started were left out "
                f"({', '.join(names[:3])}{', …' if len(names) > 3 else ''}): an earlier run's; "
                "shown if this job writes them again"
                if names
                else "",
                "info",
            )
        matches = [e for e in matches if e.name not in earlier]
        return sorted(matches, key=lambda e: natural_key(e.name))

    def _written_before_the_job(self, entry: RemoteEntry) -> bool:
        written = parse_slurm_time(entry.date)
        if written is None or self._started_at is None:
            return False
        # Both in the machine's clock, to the second; the same second counts as this job's.
        return written < self._started_at.replace(microsecond=0, tzinfo=written.tzinfo)

    async def _look(self, *, final: bool) -> bool:
        """One listing; fetch what is ready. Returns whether the matching files changed."""
        matches = await self._list()
        if matches is None:
            return False
        self._matched = self._matched or bool(matches)
        stamps: dict[str, Stamp] = {e.name: (e.size, e.date) for e in matches}
        changed = stamps != self._last
        if final:
            await self._last_look(matches, stamps)
        else:
            for entry in matches:
                stamp = stamps[entry.name]
                if entry.name in self._taken or self._last.get(entry.name) != stamp:
                    continue  # fetched already, or new or changed since the last look
                if not entry.size:
                    continue  # made, nothing written yet
                if self._incomplete.get(entry.name, (None, ""))[0] == stamp:
                    continue  # read cut short, and not written to since
                await self._take(entry, stamp, final=False)
        self._last = stamps
        return changed

    async def _last_look(self, matches: list[RemoteEntry], stamps: dict[str, Stamp]) -> None:
        fresh = [e for e in matches if e.name not in self._taken]
        last = fresh[-1] if fresh else None
        if last is not None and self._incomplete.get(last.name, (None, ""))[0] == stamps[last.name]:
            last = None  # read already, cut short, and not written to since: not fetched again
        for name, (_, error) in sorted(self._incomplete.items(), key=lambda i: natural_key(i[0])):
            if name not in self._taken and (last is None or name != last.name):
                self._add({"name": name, "error": error})
        if last is not None:
            await self._take(last, stamps[last.name], final=True)
        skipped = [e.name for e in fresh[:-1] if e.name not in self._incomplete]
        if not self._matched:
            self.show(
                "set_frames_note",
                f"no file matched {self.pattern} in {self.directory} (the job wrote none there"
                + (f", {len(self._earlier)} from an earlier run left out" if self._earlier else "")
                + "; check the pattern against the job's files)",
                "warning",
            )
        elif skipped:
            self.show(
                "set_frames_note",
                f"{len(skipped)} file(s) written as the job ended were not fetched "
                f"({', '.join(skipped[:3])}{', …' if len(skipped) > 3 else ''}): after the end "
                "only the last frame is",
                "info",
            )

    async def _take(self, entry: RemoteEntry, stamp: Stamp, *, final: bool) -> None:
        name = entry.name
        if entry.size > MAX_FRAME_BYTES:
            self._taken.add(name)
            size = entry.size / 1024 / 1024
            limit = MAX_FRAME_BYTES // 1024 // 1024
            self._add(
                {
                    "name": name,
                    "path": entry.path,
                    "error": f"{name} is {size:.1f} MiB: "
                    f"frames up to {limit} MiB are fetched; write smaller images",
                }
            )
            return
        try:
            data = await self.machine.files.download(entry.path, binary=True)
            self.fetches += 1
            image, mime, note = await asyncio.to_thread(frame_image, name, bytes(data))
        except IncompleteFrame as exc:
            if not final:  # shown once it is complete (or as this error at the end)
                self._incomplete[name] = (stamp, str(exc))
                return
            image, mime, note, error = b"", "", "", str(exc)
        except SfApiError as exc:
            image, mime, note, error = b"", "", "", f"Cannot fetch {name}: {exc.message}"
        except ValueError as exc:
            image, mime, note, error = b"", "", "", str(exc)
        else:
            error = ""
        self._taken.add(name)
        self._incomplete.pop(name, None)
        frame = {"name": name, "path": entry.path, "mime": mime, "note": note, "error": error}
        self._add(frame, image or None)

    def _add(self, frame: dict[str, Any], image: bytes | None = None) -> None:
        frame.setdefault("label", iteration_label(frame["name"]))
        self.show("add_frame", frame, image)
