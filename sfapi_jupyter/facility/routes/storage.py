"""``/storage/globus/transfer``: Globus-shaped transfers between the facility's machines.

All machines of the local facility share one file system (as NERSC's global file systems
do), so a transfer is a real copy in the background with Globus's status, byte count and
rate. Endpoints are the NERSC shortcuts (``dtn``, ``perlmutter``, ``dtns``, ``dtn01``) or
the UUIDs of the facility's collections listed in the API's config.
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
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException

from ..backends.base import FacilityUser
from ..config import FacilityConfig
from ..core import Facility
from ..deps import CurrentIdentity, FacilityDep, WriterIdentity
from ..paths import PathDenied, absolute_remote_path, check_access, resolve_user_path

router = APIRouter(prefix="/storage", tags=["storage"])

ENDPOINTS = {"dtn", "dtns", "dtn01", "perlmutter"}
#: Stable collection UUIDs, so code written for real Globus UUIDs works here too.
COLLECTION_UUIDS = {
    str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfapi-jupyter/{name}")): name for name in ENDPOINTS
}


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


def _totals(source: Path) -> tuple[int, int]:
    """(files, bytes) a transfer of ``source`` will copy (symlinks count as files of 0 bytes)."""
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


def _copy_file(src: Path, dst: Path, counter: _Counter) -> None:
    """``shutil.copy2`` in chunks, counting the bytes as they are written.

    Only regular files: the source is opened without blocking and checked before a byte is
    read, so a named pipe or a device (``/dev/zero``) is refused, never read.
    """
    fd = os.open(src, os.O_RDONLY | os.O_NONBLOCK)
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "Not a regular file (a device, pipe or socket)", str(src))
    os.set_blocking(fd, True)
    with os.fdopen(fd, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(CHUNK):
            fout.write(chunk)
            counter.add(len(chunk), 0)
    shutil.copystat(src, dst)
    counter.add(0, 1)


def _endpoint(value: str) -> str | None:
    if value in ENDPOINTS:
        return value
    return COLLECTION_UUIDS.get(value)


def _copy(
    config: FacilityConfig,
    user: FacilityUser,
    source: Path,
    target_dir: Path,
    progress: Progress | None = None,
) -> int:
    """Copy a file or a tree into ``target_dir``; return the bytes of the files copied.

    ``progress(bytes, files)`` is told as the copy goes (it runs in the copying thread).

    Every place written is checked again as it is reached: a symlink already in the target
    (``out/data -> /other/home``) must not carry the copy outside the user's reach. Symlinks
    in the source are copied as symlinks, never followed.
    """

    def writable(dest: Path) -> Path:
        try:
            check_access(config, user, Path(os.path.realpath(dest)), write=True)
        except PathDenied:
            raise PermissionError(errno.EACCES, "Permission denied", str(dest)) from None
        return dest

    counter = _Counter(progress, _rate())
    writable(target_dir).mkdir(parents=True, exist_ok=True)
    dest_root = target_dir / source.name
    if not source.is_dir():
        _copy_file(source, writable(dest_root), counter)
        return source.stat().st_size
    copied = 0
    for dirpath, dirnames, filenames in os.walk(source):
        out_dir = writable(dest_root / Path(dirpath).relative_to(source))
        out_dir.mkdir(exist_ok=True)
        for name in [*dirnames, *filenames]:
            src, dst = Path(dirpath) / name, out_dir / name
            if src.is_symlink():
                if dst.is_symlink() or dst.is_file():
                    dst.unlink()
                os.symlink(os.readlink(src), dst)
                counter.add(0, 1)
            elif name in filenames:
                _copy_file(src, writable(dst), counter)
                copied += src.stat().st_size
        shutil.copystat(dirpath, out_dir)
    return copied


async def _run_transfer(
    facility: Facility, transfer_id: str, user: FacilityUser, source: Path, target: Path
) -> None:
    doc = facility.store.get_transfer(transfer_id) or {}
    doc.pop("_user", None)
    started = time.monotonic()
    done = _Counter()
    with contextlib.suppress(OSError):  # the copy itself says what is wrong
        doc["files"], doc["bytes_expected"] = await asyncio.to_thread(_totals, source)
    doc["files_transferred"] = 0
    facility.store.put_transfer(transfer_id, user.name, doc)

    async def report() -> None:  # progress while ACTIVE, as Globus's task document has it
        while True:
            await asyncio.sleep(PROGRESS_INTERVAL)
            seconds = max(time.monotonic() - started, 1e-3)
            doc.update(bytes_transferred=done.bytes, files_transferred=done.files,
                       effective_bytes_per_second=int(done.bytes / seconds))  # fmt: skip
            facility.store.put_transfer(transfer_id, user.name, doc)

    reporter = asyncio.create_task(report())
    try:
        copied = await asyncio.to_thread(_copy, facility.config, user, source, target, done.add)
    except OSError as exc:
        doc.update(
            globus_status="FAILED", reason=f"{exc.strerror or exc}: {exc.filename or ''}".strip()
        )
    else:
        seconds = max(time.monotonic() - started, 1e-3)
        doc.update(
            globus_status="SUCCEEDED",
            bytes_transferred=copied,
            effective_bytes_per_second=int(copied / seconds),
            completion_time=dt.datetime.now(dt.timezone.utc).isoformat(),
        )
    finally:
        reporter.cancel()
    doc["files_transferred"] = done.files
    if doc["globus_status"] == "FAILED":
        doc["bytes_transferred"] = done.bytes
    facility.store.put_transfer(transfer_id, user.name, doc)


@router.post("/globus/transfer")
async def start_transfer(
    identity: WriterIdentity,
    facility: FacilityDep,
    source_uuid: Annotated[str, Form()],
    target_uuid: Annotated[str, Form()],
    source_dir: Annotated[str, Form()],
    target_dir: Annotated[str, Form()],
    label: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    """Start copying ``source_dir`` (a file or directory) into ``target_dir``."""
    for value in (source_uuid, target_uuid):
        if _endpoint(value) is None:
            return {
                "transfer_id": "",
                "status": "ERROR",
                "reason": f"Unknown endpoint {value!r}; use dtn, perlmutter or a collection UUID",
            }
    user = identity.user
    try:
        source = resolve_user_path(facility.config, user, source_dir, write=False)
    except PathDenied as exc:
        return {"transfer_id": "", "status": "ERROR", "reason": f"{source_dir}: {exc.reason}"}
    if not os.path.exists(source):
        return {
            "transfer_id": "",
            "status": "ERROR",
            "reason": f"{absolute_remote_path(user, source_dir)}: No such file or directory",
        }
    try:
        target = resolve_user_path(facility.config, user, target_dir, write=True)
    except PathDenied as exc:
        return {"transfer_id": "", "status": "ERROR", "reason": f"{target_dir}: {exc.reason}"}
    real_source, real_target = os.path.realpath(source), os.path.realpath(target)
    if source.is_dir() and (real_target + os.sep).startswith(real_source + os.sep):
        return {"transfer_id": "", "status": "ERROR", "reason": "target_dir is inside source_dir"}
    transfer_id = str(uuid.uuid4())
    facility.store.put_transfer(
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
    facility.spawn(_run_transfer(facility, transfer_id, user, source, target))
    return {"transfer_id": transfer_id, "status": "OK", "reason": None}


@router.get("/globus/transfer/{transfer_id}")
def get_transfer(
    transfer_id: str, identity: CurrentIdentity, facility: FacilityDep
) -> dict[str, Any]:
    """Status of a transfer."""
    doc = facility.store.get_transfer(transfer_id)
    if doc is None or doc.pop("_user") != identity.user.name:
        raise HTTPException(404, f"Not found: no transfer {transfer_id}")
    doc.pop("label", None)
    return doc
