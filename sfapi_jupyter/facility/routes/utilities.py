"""``/utilities``: ls, download, upload and run a command on a machine.

Failures of the operation itself (no such file, permission denied, too large, a name too
long) are HTTP 200 with ``"status": "ERROR"`` and a coreutils-style message, as the real API
answers. When the facility runs as root every file operation here runs with the caller's
own OS identity (:func:`~sfapi_jupyter.facility.unix.acting_as`), so the kernel checks it
too, and uploaded files belong to the caller.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import grp
import os
import pwd
import stat
import tempfile
import time
from pathlib import Path
from typing import IO, Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..auth import Identity
from ..core import Facility
from ..deps import CurrentIdentity, FacilityDep, Machine, WriterIdentity
from ..paths import PathDenied, absolute_remote_path, is_within, resolve_user_path, user_roots
from ..runner import run_command_task
from ..tasks import TaskHandle
from ..unix import Credentials, acting_as

router = APIRouter(prefix="/utilities", tags=["utilities"])

MIB = 1024 * 1024
#: The process umask, read once at import (reading it means setting it, which races threads).
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def _human(size: float) -> str:
    return f"{size / MIB:.1f} MiB" if size >= MIB / 10 else f"{size:.0f} bytes"


def _error(key: str, message: str) -> dict[str, Any]:
    base: dict[str, Any] = {"status": "ERROR", "error": message}
    if key == "ls":
        base["entries"] = []
    elif key == "download":
        base.update(file=None, is_binary=False)
    else:
        base["output"] = None
    return base


@functools.lru_cache(maxsize=512)
def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


@functools.lru_cache(maxsize=512)
def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _users_own(
    identity: Identity, rw: list[Path] | None, directory: Path
) -> tuple[str, str] | None:
    """(user, group) shown for every file in ``directory`` if it is in the user's own trees.

    Without isolation (``rw`` given), files there belong to the user as far as the API is
    concerned: the facility's one OS user writes them for everyone. With isolation (``rw``
    None) and elsewhere, None: the files' real owners are shown.
    """
    if rw is None:
        return None
    real = Path(os.path.realpath(directory))
    if any(is_within(real, root) for root in rw):
        return identity.user.name, identity.user.group
    return None


def _row(st: os.stat_result, name: str, owner: tuple[str, str] | None, link: str | None) -> dict:
    user, group = owner or (_user_name(st.st_uid), _group_name(st.st_gid))
    return {
        "perms": stat.filemode(st.st_mode),
        "hardlinks": st.st_nlink,
        "user": user,
        "group": group,
        "size": float(st.st_size),
        "date": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(st.st_mtime)),
        "name": f"{name} -> {link}" if link is not None else name,
    }


def _entry(identity: Identity, rw: list[Path] | None, path: Path, name: str) -> dict[str, Any]:
    st = path.lstat()
    link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
    return _row(st, name, _users_own(identity, rw, path.parent), link)


def _resolve(
    facility: Facility, identity: Identity, path: str, **options: bool
) -> tuple[str, Path | None, str | None]:
    """(path as shown, absolute path or None, reason it may not be reached)."""
    try:
        shown = str(absolute_remote_path(identity.user, path))
    except PathDenied as exc:
        return path, None, exc.reason
    try:
        return shown, resolve_user_path(facility.config, identity.user, path, **options), None
    except PathDenied as exc:
        return shown, None, exc.reason


@router.get("/ls/{machine}/{path:path}", response_model=None)
def ls(
    machine: Machine, path: str, identity: CurrentIdentity, facility: FacilityDep
) -> dict[str, Any] | JSONResponse:
    """``ls -la`` of a directory (with ``.`` and ``..``), or the one entry of a file or link."""
    creds = facility.accounts.credentials(identity.user)
    try:
        with acting_as(creds):
            return _ls(facility, identity, path, creds)
    except OSError as exc:  # e.g. a name too long for the file system
        shown = path if path.startswith("/") else f"~/{path}"
        return _error("ls", f"ls: cannot access '{shown}': {exc.strerror or exc}")


def _ls(
    facility: Facility, identity: Identity, path: str, creds: Credentials | None
) -> dict[str, Any] | JSONResponse:
    # ``ls -la link`` shows the link; ``ls -la link/`` lists the directory it points to.
    follow = path.endswith("/")
    shown, target, denied = _resolve(
        facility, identity, path, write=False, follow_symlinks=follow, stat_only=True
    )
    if target is None:
        return _error("ls", f"ls: cannot access '{shown}': {denied}")
    try:
        mode = (target.stat() if follow else target.lstat()).st_mode
    except FileNotFoundError:
        return _error("ls", f"ls: cannot access '{shown}': No such file or directory")
    except OSError as exc:
        return _error("ls", f"ls: cannot access '{shown}': {exc.strerror}")
    rw = None if creds else user_roots(facility.config, identity.user)[0]
    if not stat.S_ISDIR(mode):
        return {
            "status": "OK",
            "entries": [_entry(identity, rw, target, shown)],
            "error": None,
        }
    try:
        with os.scandir(target) as listing:
            items = sorted(listing, key=lambda item: item.name)
    except OSError as exc:
        return _error("ls", f"ls: cannot open directory '{shown}': {exc.strerror}")
    # ``ls -la link/`` describes the directory itself as ".", not the link.
    here = Path(os.path.realpath(target)) if follow else target
    entries = [
        _entry(identity, rw, here, "."),
        _entry(identity, rw, target.parent, ".."),
    ]
    # One owner decision for the whole directory, one stat per entry: a directory of
    # 10,000 files answers in well under a second.
    owner = _users_own(identity, rw, target)
    for item in items:
        with contextlib.suppress(FileNotFoundError):  # removed while we listed
            st = item.stat(follow_symlinks=False)
            link = os.readlink(item.path) if stat.S_ISLNK(st.st_mode) else None
            entries.append(_row(st, item.name, owner, link))
    # Already plain JSON: skip FastAPI's encoder, which costs more than the listing itself.
    return JSONResponse({"status": "OK", "entries": entries, "error": None})


def _read_small_file(target: Path, shown: str, limit: int) -> bytes | str:
    """The bytes of a regular file of at most ``limit`` bytes, or the error to show.

    One open file is checked and read, so a file that grows or is swapped in the meantime
    cannot slip past the limit, and a FIFO or device is never read (it could block forever).
    """
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        return f"{shown}: No such file or directory"
    except OSError as exc:
        return f"{shown}: {exc.strerror}"
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        if stat.S_ISDIR(st.st_mode):
            return f"{shown}: Is a directory"
        return f"{shown}: not a regular file; only regular files can be downloaded"
    with os.fdopen(fd, "rb") as handle:

        def too_big(size: str) -> str:
            return (
                f"{shown} is {size}, over the download limit of {_human(limit)}; "
                "move large files with a Globus transfer (/storage/globus/transfer)"
            )

        if st.st_size > limit:
            return too_big(_human(st.st_size))
        data = handle.read(limit + 1)
        if len(data) > limit:
            return too_big(f"over {_human(limit)}")
        return data


@router.get("/download/{machine}/{path:path}")
def download(
    machine: Machine,
    path: str,
    identity: CurrentIdentity,
    facility: FacilityDep,
    binary: bool = False,
) -> dict[str, Any]:
    """A small file's content: text, or base64 with ``binary=true``."""
    creds = facility.accounts.credentials(identity.user)
    try:
        with acting_as(creds):
            shown, target, denied = _resolve(facility, identity, path, write=False)
            if target is None:
                return _error("download", f"{shown}: {denied}")
            data = _read_small_file(target, shown, facility.config.max_download_bytes)
    except OSError as exc:
        return _error("download", f"{path}: {exc.strerror or exc}")
    if isinstance(data, str):
        return _error("download", data)
    if binary:
        return {
            "status": "OK",
            "file": base64.b64encode(data).decode(),
            "is_binary": True,
            "error": None,
        }
    try:
        text = data.decode()
    except UnicodeDecodeError:
        return _error("download", f"{shown} is not a text file; download it with binary=true")
    return {"status": "OK", "file": text, "is_binary": False, "error": None}


def _new_file_mode(target: Path) -> int:
    """The mode a shell's ``cat > target`` leaves: the old file's, or 0666 minus the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_UMASK


@router.put("/upload/{machine}/{path:path}")
async def upload(
    machine: Machine,
    path: str,
    identity: WriterIdentity,
    facility: FacilityDep,
    file: Annotated[UploadFile, File()],
) -> dict[str, Any]:
    """Write a small file at ``path`` (created or replaced whole; never half-written)."""
    limit = facility.config.max_upload_bytes
    creds = facility.accounts.credentials(identity.user)
    if file.size is not None and file.size > limit:
        return _too_big(path, limit)
    return await run_in_threadpool(_upload, facility, identity, path, file.file, creds)


def _too_big(shown: str, limit: int) -> dict[str, Any]:
    return _error(
        "upload",
        f"upload to {shown} exceeds the limit of {_human(limit)}; nothing was written. "
        "Move large files with a Globus transfer (/storage/globus/transfer)",
    )


#: Characters of the file name kept in the temporary name (the whole must fit NAME_MAX).
_TMP_NAME_KEEP = 64


def _upload(
    facility: Facility,
    identity: Identity,
    path: str,
    source: IO[bytes],
    creds: Credentials | None,
) -> dict[str, Any]:
    """Write ``source`` to ``path`` as the user, through a temporary file in the same directory."""
    try:
        with acting_as(creds):
            return _write_upload(facility, identity, path, source)
    except OSError as exc:  # e.g. "File name too long" from the file system
        return _error("upload", f"{path}: {exc.strerror or exc}")


def _write_upload(
    facility: Facility, identity: Identity, path: str, source: IO[bytes]
) -> dict[str, Any]:
    shown, target, denied = _resolve(facility, identity, path, write=True)
    if target is None:
        return _error("upload", f"{shown}: {denied}")
    if target.is_dir():
        return _error("upload", f"{shown}: Is a directory; give the full path of the file")
    if not target.parent.is_dir():
        return _error("upload", f"{target.parent}: No such file or directory")
    limit = facility.config.max_upload_bytes
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name[:_TMP_NAME_KEEP]}.", suffix=".part", dir=target.parent
        )
    except OSError as exc:
        return _error("upload", f"{shown}: {exc.strerror}")
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := source.read(MIB):
                written += len(chunk)
                if written > limit:
                    raise OverflowError
                out.write(chunk)
            os.fchmod(out.fileno(), _new_file_mode(target))
        os.replace(tmp_name, target)
    except OverflowError:
        os.unlink(tmp_name)
        return _too_big(shown, limit)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        return _error("upload", f"{shown}: {exc.strerror}")
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return {"status": "OK", "output": f"{written} bytes written to {target}", "error": None}


@router.post("/command/{machine}")
async def command(
    machine: Machine,
    identity: WriterIdentity,
    facility: FacilityDep,
    executable: Annotated[str, Form()],
) -> dict[str, Any]:
    """Run a shell command as the user in their home; the result arrives in the task."""

    async def body(handle: TaskHandle) -> dict[str, Any]:
        creds = facility.accounts.credentials(identity.user)
        return await run_command_task(
            facility.config, identity.user, machine.value, executable, handle, creds
        )

    task_id = facility.tasks.start(identity.user.name, "command", body)
    return {"task_id": task_id, "status": "OK", "error": None}
