"""The file operations of ``/utilities``: ``ls``, download and upload, as the user.

Failures of the operation itself (no such file, permission denied, too large, a name too
long) are answers with ``"status": "ERROR"`` and a coreutils-style message, as the real API
gives them (HTTP 200). When the facility runs as root every operation runs with the caller's
own OS identity (:func:`~.unix.acting_as`, the ``creds`` argument), so the kernel checks it
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
from typing import IO, Any

from .config import FacilityConfig
from .models import FacilityUser
from .paths import PathDenied, absolute_remote_path, is_within, resolve_user_path, user_roots
from .unix import Credentials, acting_as

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
    user: FacilityUser, rw: list[Path] | None, directory: Path
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
        return user.name, user.group
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


def _entry(user: FacilityUser, rw: list[Path] | None, path: Path, name: str) -> dict[str, Any]:
    st = path.lstat()
    link = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
    return _row(st, name, _users_own(user, rw, path.parent), link)


def _resolve(
    config: FacilityConfig, user: FacilityUser, path: str, **options: bool
) -> tuple[str, Path | None, str | None]:
    """(path as shown, absolute path or None, reason it may not be reached)."""
    try:
        shown = str(absolute_remote_path(user, path))
    except PathDenied as exc:
        return path, None, exc.reason
    try:
        return shown, resolve_user_path(config, user, path, **options), None
    except PathDenied as exc:
        return shown, None, exc.reason


def ls(
    config: FacilityConfig, user: FacilityUser, path: str, creds: Credentials | None
) -> dict[str, Any]:
    """``ls -la`` of a directory (with ``.`` and ``..``), or the one entry of a file or link,
    as ``user`` (with ``creds``, the user's OS identity, when the facility runs as root)."""
    try:
        with acting_as(creds):
            return _ls(config, user, path, creds)
    except OSError as exc:  # e.g. a name too long for the file system
        shown = path if path.startswith("/") else f"~/{path}"
        return _error("ls", f"ls: cannot access '{shown}': {exc.strerror or exc}")


def _ls(
    config: FacilityConfig, user: FacilityUser, path: str, creds: Credentials | None
) -> dict[str, Any]:
    # ``ls -la link`` shows the link; ``ls -la link/`` lists the directory it points to.
    follow = path.endswith("/")
    shown, target, denied = _resolve(
        config, user, path, write=False, follow_symlinks=follow, stat_only=True
    )
    if target is None:
        return _error("ls", f"ls: cannot access '{shown}': {denied}")
    try:
        mode = (target.stat() if follow else target.lstat()).st_mode
    except FileNotFoundError:
        return _error("ls", f"ls: cannot access '{shown}': No such file or directory")
    except OSError as exc:
        return _error("ls", f"ls: cannot access '{shown}': {exc.strerror}")
    rw = None if creds else user_roots(config, user)[0]
    if not stat.S_ISDIR(mode):
        return {
            "status": "OK",
            "entries": [_entry(user, rw, target, shown)],
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
        _entry(user, rw, here, "."),
        _entry(user, rw, target.parent, ".."),
    ]
    # One owner decision for the whole directory, one stat per entry: a directory of
    # 10,000 files answers in well under a second.
    owner = _users_own(user, rw, target)
    for item in items:
        with contextlib.suppress(FileNotFoundError):  # removed while we listed
            st = item.stat(follow_symlinks=False)
            link = os.readlink(item.path) if stat.S_ISLNK(st.st_mode) else None
            entries.append(_row(st, item.name, owner, link))
    return {"status": "OK", "entries": entries, "error": None}


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


def download(
    config: FacilityConfig, user: FacilityUser, path: str, binary: bool, creds: Credentials | None
) -> dict[str, Any]:
    """A small file's content, read as ``user``: text, or base64 with ``binary``."""
    try:
        with acting_as(creds):
            shown, target, denied = _resolve(config, user, path, write=False)
            if target is None:
                return _error("download", f"{shown}: {denied}")
            data = _read_small_file(target, shown, config.max_download_bytes)
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


def upload_too_big(shown: str, limit: int) -> dict[str, Any]:
    return _error(
        "upload",
        f"upload to {shown} exceeds the limit of {_human(limit)}; nothing was written. "
        "Move large files with a Globus transfer (/storage/globus/transfer)",
    )


#: Characters of the file name kept in the temporary name (the whole must fit NAME_MAX).
_TMP_NAME_KEEP = 64


def part_file(target: Path) -> tuple[int, str]:
    """(descriptor, name) of a new, hidden temporary file beside ``target``, which an upload or
    a transfer fills and then moves onto ``target`` (one directory: the move is atomic)."""
    return tempfile.mkstemp(
        prefix=f".{target.name[:_TMP_NAME_KEEP]}.", suffix=".part", dir=target.parent
    )


def upload(
    config: FacilityConfig,
    user: FacilityUser,
    path: str,
    source: IO[bytes],
    creds: Credentials | None,
) -> dict[str, Any]:
    """Write ``source`` to ``path`` as ``user``, through a temporary file in the same
    directory (created or replaced whole; never half-written). It blocks: run it in a thread."""
    try:
        with acting_as(creds):
            return _write_upload(config, user, path, source)
    except OSError as exc:  # e.g. "File name too long" from the file system
        return _error("upload", f"{path}: {exc.strerror or exc}")


def _write_upload(
    config: FacilityConfig, user: FacilityUser, path: str, source: IO[bytes]
) -> dict[str, Any]:
    shown, target, denied = _resolve(config, user, path, write=True)
    if target is None:
        return _error("upload", f"{shown}: {denied}")
    if target.is_dir():
        return _error("upload", f"{shown}: Is a directory; give the full path of the file")
    if not target.parent.is_dir():
        return _error("upload", f"{target.parent}: No such file or directory")
    limit = config.max_upload_bytes
    try:
        fd, tmp_name = part_file(target)
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
        return upload_too_big(shown, limit)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        return _error("upload", f"{shown}: {exc.strerror}")
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    return {"status": "OK", "output": f"{written} bytes written to {target}", "error": None}
