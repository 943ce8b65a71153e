"""Globus-shaped transfers between the facility's machines: the copy engine and its records.

All machines of the local facility share one file system (as NERSC's global file systems
do), so a transfer is a real copy in the background with Globus's status, byte count and
rate. Endpoints are the NERSC shortcuts (``dtn``, ``perlmutter``, ``dtns``, ``dtn01``) or
the UUIDs of the facility's collections listed in the API's config. The copy runs with the
user's own OS identity when the facility runs as root, on threads no user may hold all of
(:class:`~.slots.UserSlots`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import errno
import os
import shutil
import stat
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .accounts import Accounts
from .config import FacilityConfig
from .files import part_file
from .models import FacilityUser
from .paths import PathDenied, absolute_remote_path, check_access, resolve_user_path
from .slots import UserSlots
from .store import Store
from .unix import Credentials, acting_as

ENDPOINTS = {"dtn", "dtns", "dtn01", "perlmutter"}
#: Stable collection UUIDs, so code written for real Globus UUIDs works here too.
COLLECTION_UUIDS = {
    str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfapi-jupyter/{name}")): name for name in ENDPOINTS
}


def endpoint(value: str) -> str | None:
    if value in ENDPOINTS:
        return value
    return COLLECTION_UUIDS.get(value)


#: Simulated bandwidth of one transfer, in bytes per second (unset or 0: as fast as the disk).
#: Demos and tests set it to watch a transfer's progress; read when a transfer starts.
RATE_ENV = "SFAPI_FACILITY_TRANSFER_RATE"
#: Bytes copied between two progress updates, and seconds between two writes of them.
CHUNK = 1024 * 1024
PROGRESS_INTERVAL = 0.5

Progress = Callable[[int, int], None]


def _rate() -> float:
    try:
        return max(float(os.environ.get(RATE_ENV) or 0), 0.0)
    except ValueError:
        return 0.0


def _totals(source: Path, creds: Credentials | None = None) -> tuple[int, int]:
    """(files, bytes) a transfer of ``source`` will copy (symlinks count as files of 0 bytes),
    as the user sees them."""
    with acting_as(creds):
        return _count(source)


def _count(source: Path) -> tuple[int, int]:
    if not source.is_dir():
        return 1, source.stat().st_size
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(source):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            if path.is_symlink() or name in filenames:
                files += 1
                size += 0 if path.is_symlink() else path.stat().st_size
    return files, size


class _Counter:
    """Files and bytes copied so far; with a ``rate``, ``add`` waits to keep to it.

    Written by the copying thread; ``tell(bytes, files)`` passes each step on.
    """

    def __init__(self, tell: Progress | None = None, rate: float = 0.0) -> None:
        self.files = 0
        self.bytes = 0
        self._tell = tell
        self._rate = rate
        self._started = time.monotonic()

    def add(self, size: int, files: int) -> None:
        self.bytes += size
        self.files += files
        if self._tell is not None:
            self._tell(size, files)
        if self._rate and size:
            ahead = self.bytes / self._rate - (time.monotonic() - self._started)
            if ahead > 0:
                time.sleep(ahead)


class _NotCopyable(OSError):
    """A source that is neither a regular file, a directory nor a symlink."""


def _copy_file(src: Path, dst: Path, counter: _Counter) -> int:
    """Copy one regular file's bytes (as many as it had when opened) and its times and mode,
    counting them as they are written.

    The source is opened without blocking and checked after opening, so a FIFO or device
    swapped in never blocks or streams forever. The bytes go to a new temporary file beside
    ``dst`` that then replaces it: the copy never opens what is at ``dst`` (a FIFO there
    would hold this thread until someone read it), and ``dst`` is never half-written.
    """
    with contextlib.suppress(FileNotFoundError):
        mode = os.lstat(dst).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", str(dst))
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            raise _NotCopyable(
                errno.EINVAL, "the destination is not a regular file; not replaced", str(dst)
            )
    fd = os.open(src, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as reader:
        st = os.fstat(reader.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise _NotCopyable(errno.EINVAL, "not a regular file, directory or symlink", str(src))
        out_fd, tmp_name = part_file(dst)
        try:
            with os.fdopen(out_fd, "wb") as writer:
                left = st.st_size
                while left > 0 and (chunk := reader.read(min(left, CHUNK))):
                    writer.write(chunk)
                    left -= len(chunk)
                    counter.add(len(chunk), 0)
            shutil.copystat(src, tmp_name, follow_symlinks=False)
            os.replace(tmp_name, dst)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
    counter.add(0, 1)
    return st.st_size - left


def _copy(
    config: FacilityConfig,
    user: FacilityUser,
    source: Path,
    target_dir: Path,
    creds: Credentials | None = None,
    progress: Progress | None = None,
) -> tuple[int, int]:
    """Copy a file or a tree into ``target_dir`` as the user; (bytes copied, files skipped).

    ``progress(bytes, files)`` is told as the copy goes (it runs in the copying thread).

    Only regular files, directories and symlinks are copied, as Globus does: a device,
    FIFO or socket at the top fails the transfer, one inside a tree is skipped. Every place
    written is checked again as it is reached: a symlink already in the target
    (``out/data -> /other/home``) must not carry the copy outside the user's reach. Symlinks
    in the source are copied as symlinks, never followed.
    """
    with acting_as(creds):
        return _copy_as_user(config, user, source, target_dir, _Counter(progress, _rate()))


def _copy_as_user(
    config: FacilityConfig, user: FacilityUser, source: Path, target_dir: Path, counter: _Counter
) -> tuple[int, int]:
    def writable(dest: Path) -> Path:
        try:
            check_access(config, user, Path(os.path.realpath(dest)), write=True)
        except PathDenied:
            raise PermissionError(errno.EACCES, "Permission denied", str(dest)) from None
        return dest

    writable(target_dir).mkdir(parents=True, exist_ok=True)
    dest_root = target_dir / source.name
    top = os.stat(source)
    if stat.S_ISREG(top.st_mode):
        return _copy_file(source, writable(dest_root), counter), 0
    if not stat.S_ISDIR(top.st_mode):
        raise _NotCopyable(
            errno.EINVAL, "not a regular file, directory or symlink; not copied", str(source)
        )
    copied = skipped = 0
    for dirpath, dirnames, filenames in os.walk(source):
        out_dir = writable(dest_root / Path(dirpath).relative_to(source))
        out_dir.mkdir(exist_ok=True)
        for name in [*dirnames, *filenames]:
            src, dst = Path(dirpath) / name, out_dir / name
            mode = os.lstat(src).st_mode
            if stat.S_ISLNK(mode):
                if dst.is_symlink() or dst.is_file():
                    dst.unlink()
                os.symlink(os.readlink(src), dst)
                counter.add(0, 1)
            elif stat.S_ISREG(mode):
                copied += _copy_file(src, writable(dst), counter)
            elif not stat.S_ISDIR(mode):
                skipped += 1
        shutil.copystat(dirpath, out_dir)
    return copied, skipped


def check_paths(
    config: FacilityConfig, user: FacilityUser, source_dir: str, target_dir: str
) -> tuple[Path, Path] | str:
    """(source, target) of a transfer the user may make, or the reason it may not."""
    try:
        source = resolve_user_path(config, user, source_dir, write=False)
    except PathDenied as exc:
        return f"{source_dir}: {exc.reason}"
    try:
        os.stat(source)
    except OSError as exc:  # as ``ls`` would say it: no such file, name too long, ...
        return f"{absolute_remote_path(user, source_dir)}: {exc.strerror}"
    try:
        target = resolve_user_path(config, user, target_dir, write=True)
    except PathDenied as exc:
        return f"{target_dir}: {exc.reason}"
    real_source, real_target = os.path.realpath(source), os.path.realpath(target)
    if source.is_dir() and (real_target + os.sep).startswith(real_source + os.sep):
        return "target_dir is inside source_dir"
    return source, target


def _refused(reason: str) -> dict[str, Any]:
    """The API's answer to a transfer it does not start."""
    return {"transfer_id": "", "status": "ERROR", "reason": reason}


class Transfers:
    """The facility's transfers: started, copied in the background, looked up, recovered."""

    def __init__(self, config: FacilityConfig, store: Store, accounts: Accounts) -> None:
        self.config = config
        self.store = store
        self.accounts = accounts
        #: Threads for the copies: no user may hold them all.
        self.slots = UserSlots()
        self._running: set[asyncio.Task[None]] = set()

    async def start(
        self,
        user: FacilityUser,
        source_uuid: str,
        target_uuid: str,
        source_dir: str,
        target_dir: str,
        label: str = "",
    ) -> dict[str, Any]:
        """Start copying ``source_dir`` (a file or directory) into ``target_dir``: the API's
        answer, with the new transfer's id or the reason there is none."""
        for value in (source_uuid, target_uuid):
            if endpoint(value) is None:
                return _refused(
                    f"Unknown endpoint {value!r}; use dtn, perlmutter or a collection UUID"
                )
        creds = self.accounts.credentials(user)
        try:
            with acting_as(creds):
                checked = check_paths(self.config, user, source_dir, target_dir)
        except OSError as exc:  # e.g. a name too long for the file system
            checked = f"{source_dir}: {exc.strerror or exc}"
        if isinstance(checked, str):
            return _refused(checked)
        source, target = checked
        transfer_id = str(uuid.uuid4())
        self.store.put_transfer(
            transfer_id,
            user.name,
            {
                "status": "OK",
                "reason": None,
                "globus_status": "ACTIVE",
                "bytes_transferred": 0,
                "completion_time": None,
                "effective_bytes_per_second": 0,
                "label": label or f"sfapi transfer {transfer_id[:8]}",
            },
        )
        task = asyncio.get_running_loop().create_task(self._run(transfer_id, user, source, target))
        self._running.add(task)  # a reference until it ends, or the loop may drop it
        task.add_done_callback(self._running.discard)
        return {"transfer_id": transfer_id, "status": "OK", "reason": None}

    def status(self, transfer_id: str, user_name: str) -> dict[str, Any] | None:
        """The status document of a transfer; None unless it is ``user_name``'s (another
        user's transfer id is as unknown as a made-up one)."""
        doc = self.store.get_transfer(transfer_id)
        if doc is None or doc.pop("_user") != user_name:
            return None
        doc.pop("label", None)
        return doc

    def recover(self) -> None:
        """Transfers cut off by a restart end FAILED (their copy died with the old server)."""
        for transfer_id, user, doc in self.store.list_transfers():
            if doc.get("globus_status") == "ACTIVE":
                doc.update(
                    globus_status="FAILED",
                    reason="the facility restarted during the transfer; start it again",
                )
                self.store.put_transfer(transfer_id, user, doc)

    def shutdown(self) -> None:
        self.slots.shutdown()

    async def _run(self, transfer_id: str, user: FacilityUser, source: Path, target: Path) -> None:
        """The copy, its progress written to the transfer's record as it goes, then its end."""
        doc = self.store.get_transfer(transfer_id) or {}
        doc.pop("_user", None)
        started = time.monotonic()
        done = _Counter()
        creds = self.accounts.credentials(user)
        with contextlib.suppress(OSError):  # the copy itself says what is wrong
            doc["files"], doc["bytes_expected"] = await self.slots.run(
                user.name, _totals, source, creds
            )
        doc["files_transferred"] = 0
        self.store.put_transfer(transfer_id, user.name, doc)

        async def report() -> None:  # progress while ACTIVE, as Globus's task document has it
            while True:
                await asyncio.sleep(PROGRESS_INTERVAL)
                seconds = max(time.monotonic() - started, 1e-3)
                doc.update(
                    bytes_transferred=done.bytes,
                    files_transferred=done.files,
                    effective_bytes_per_second=int(done.bytes / seconds),
                )
                self.store.put_transfer(transfer_id, user.name, doc)

        reporter = asyncio.create_task(report())
        try:
            copied, skipped = await self.slots.run(
                user.name, _copy, self.config, user, source, target, creds, done.add
            )
        except (OSError, ValueError) as exc:
            where = getattr(exc, "filename", None) or ""
            text = getattr(exc, "strerror", None) or str(exc)
            doc.update(globus_status="FAILED", reason=f"{text}: {where}".strip(": "))
        else:
            seconds = max(time.monotonic() - started, 1e-3)
            doc.update(
                globus_status="SUCCEEDED",
                bytes_transferred=copied,
                effective_bytes_per_second=int(copied / seconds),
                completion_time=dt.datetime.now(dt.timezone.utc).isoformat(),
            )
            if skipped:
                doc["reason"] = f"skipped {skipped} special file(s) (device, FIFO or socket)"
        finally:
            reporter.cancel()
        doc["files_transferred"] = done.files
        if doc["globus_status"] == "FAILED":
            doc["bytes_transferred"] = done.bytes
        self.store.put_transfer(transfer_id, user.name, doc)
