"""Files on one machine (``machine.files``): ``ls``, download and upload, with progress callbacks.

What the API answers for a failed file
operation is HTTP 200 with ``"status": "ERROR"`` and a coreutils-style text; it becomes
:class:`NotFoundError` ("No such file or directory"), :class:`PermissionDeniedError`
("Permission denied") or :class:`ApiError` (anything else, including a file over the API's
size limit, whose message says to use a transfer instead).

Downloads to a local file are atomic: the bytes go to a hidden temporary file beside the
target, which replaces (or, without ``overwrite``, is linked to) the target only once
complete. A failed download leaves no half-written file.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

import httpx

from .._constants import HOW_TO_ADD_A_KEY
from .._errors import (
    ApiError,
    AuthenticationError,
    ConnectError,
    NotFoundError,
    PermissionDeniedError,
    RequestTimeout,
    SfApiError,
    UnexpectedAnswerError,
    error_for_response,
    json_object,
    retry_after_seconds,
)
from .._retry import RETRY_STATUSES
from ..models import RemoteEntry

if TYPE_CHECKING:
    from .._sync import Client
    from .machine import AsyncMachine

#: ``progress(done, total)``: bytes moved so far and the total (None when unknown). Called
#: on the client's event loop, so it must be quick and must not block.
Progress = Callable[[int, "int | None"], None]

#: What to do about a file over the API's size limit (added to the API's own message).
TOO_LARGE_HINT = (
    "Files over the API's size limit cannot move through /utilities; use a transfer "
    "instead (%sftransfer, client.transfer(...), or Globus)."
)


#: What ``machine.files`` holds, called on the machine itself before 0.x (docs/client.md).
MOVED_TO_FILES = ("ls", "download", "upload")


def moved_to_files(machine: object, name: str) -> AttributeError:
    """The error for a missing attribute of a machine (async or blocking): one that says
    where a call moved to, if it did."""
    kind = type(machine).__name__
    if name in MOVED_TO_FILES:
        return AttributeError(
            f"{kind}.{name} moved to the machine's files: call machine.files.{name}(...) "
            "(see 'Where things moved' in docs/client.md)",
            name=name,
            obj=machine,
        )
    return AttributeError(f"{kind!r} object has no attribute {name!r}", name=name, obj=machine)


def encode_path(path: str) -> str:
    """A remote path for a URL: every character but ``/`` percent-encoded.

    ``.`` and ``..`` segments are encoded too (``%2E``): a URL library resolves them as
    URL dot-segments, so ``ls("~/..")`` would ask for another endpoint. Encoded, they reach
    the server as given, and the remote side resolves them as a shell would.
    """
    segments = quote(str(path), safe="/").split("/")
    return "/".join(s.replace(".", "%2E") if s in (".", "..") else s for s in segments)


def file_error(error: str, body: Any = None) -> SfApiError:
    """The typed error for a file operation's ``"status": "ERROR"`` text."""
    if "No such file or directory" in error:
        return NotFoundError(error, body=body)
    if "Permission denied" in error:
        return PermissionDeniedError(error, body=body)
    lowered = error.lower()
    if "limit" in lowered or "too large" in lowered:
        return ApiError(f"{error.rstrip('. ')}. {TOO_LARGE_HINT}", body=body)
    return ApiError(error, body=body)


class _ProgressReader:
    """A binary file object that reports how much of it was read (httpx reads it in chunks)."""

    def __init__(self, raw: IO[bytes], total: int | None, progress: Progress) -> None:
        self._raw = raw
        self._total = total
        self._progress = progress
        self._sent = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        if data:
            self._sent += len(data)
            self._progress(self._sent, self._total)
        return data

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        self._sent = position if whence == os.SEEK_SET else self._sent
        return position

    def tell(self) -> int:
        return self._raw.tell()


def _size_of(handle: IO[bytes]) -> int | None:
    try:
        return os.fstat(handle.fileno()).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        try:
            here = handle.tell()
            end = handle.seek(0, os.SEEK_END)
            handle.seek(here)
            return end - here
        except (AttributeError, OSError):
            return None


def write_atomically(target: Path, data: bytes, *, overwrite: bool = True) -> Path:
    """Write ``data`` to ``target`` whole or not at all (a temporary file, then a rename).

    Without ``overwrite`` an existing ``target`` raises :class:`FileExistsError`, checked
    at the moment of the rename (a link), so a file that appeared meanwhile is kept too.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o666 & ~_umask())
        if overwrite:
            os.replace(tmp, target)
        else:
            os.link(tmp, target)  # fails if target exists, atomically
            os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return target


def _umask() -> int:
    # Read once per process: os.umask sets it while reading it, which races other threads.
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)
        os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None


def local_target(path: str, to: str | os.PathLike[str]) -> Path:
    """Where a download of remote ``path`` to ``to`` lands (a directory keeps the name)."""
    target = Path(to).expanduser()
    if target.is_dir():
        target = target / os.path.basename(path.rstrip("/"))
    return target


class AsyncFiles:
    """The file operations of one machine: ``machine.files`` (``client.compute(name).files``).

    >>> await machine.files.upload(b"x=1\\n", "~/params.txt")        # doctest: +SKIP
    >>> await machine.files.download("~/params.txt", binary=False)  # doctest: +SKIP
    'x=1\\n'
    """

    def __init__(self, machine: AsyncMachine) -> None:
        self.machine = machine

    @property
    def _url_name(self) -> str:
        return self.machine.name

    async def ls(self, path: str) -> list[RemoteEntry]:
        """Entries of a directory (without ``.`` and ``..``), or the one entry of a file."""
        url = f"utilities/ls/{self._url_name}/{encode_path(path)}"
        body = await self.machine.client._get(url, shape=dict)
        if body.get("status") == "ERROR":
            raise file_error(str(body.get("error") or f"ls {path} failed"), body)
        entries = body.get("entries") or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise UnexpectedAnswerError(f"GET {url}: the API's entries are not a list of objects")
        out = []
        base = path.rstrip("/") or "/"
        single = len(entries) == 1
        for entry in entries:
            name = str(entry.get("name", ""))
            target = None
            if " -> " in name:
                name, _, target = name.partition(" -> ")
            if name in (".", ".."):  # also ". -> dir" for a listing through a link
                continue
            full = name if single and name.startswith("/") else f"{base}/{name}".replace("//", "/")
            if single and name.startswith("/"):
                name = os.path.basename(name.rstrip("/")) or name
            out.append(RemoteEntry(**{**entry, "name": name, "path": full, "target": target}))
        return out

    async def download(
        self,
        path: str,
        to: str | os.PathLike[str] | None = None,
        *,
        binary: bool = True,
        overwrite: bool = True,
        progress: Progress | None = None,
    ) -> Any:
        """A small file's content: bytes (or str with ``binary=False``), or saved to ``to``.

        With ``to`` the file is written atomically and its local path returned; without
        ``overwrite`` an existing local file raises :class:`FileExistsError` before any
        request. ``progress(done, total)`` follows the bytes of the API's answer (base64
        text for binary files, about 4/3 of the file).
        """
        target = None if to is None else local_target(path, to)
        if target is not None:
            if target.exists() and not overwrite:
                raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
            if not target.parent.is_dir():
                raise FileNotFoundError(f"{target.parent} is not a local directory")
        url = f"utilities/download/{self._url_name}/{encode_path(path)}"
        params = {"binary": binary}
        if progress is None:
            body = await self.machine.client._get(url, params, shape=dict)
        else:
            body = await self._get_with_progress(url, params, progress)
        if body.get("status") == "ERROR":
            raise file_error(str(body.get("error") or f"download {path} failed"), body)
        content: Any = body.get("file") or ""
        if not isinstance(content, str):
            raise UnexpectedAnswerError(f"download {path}: the API's file is not text")
        if body.get("is_binary"):
            try:
                content = base64.b64decode(content)
            except ValueError:
                raise UnexpectedAnswerError(
                    f"download {path}: the API's file is not base64 as it says"
                ) from None
        if target is None:
            return content
        data = content if isinstance(content, bytes) else content.encode()
        return await asyncio.to_thread(write_atomically, target, data, overwrite=overwrite)

    async def upload(
        self, source: Any, remote_path: str, *, progress: Progress | None = None
    ) -> str:
        """Write ``source`` (bytes, a local path or a binary file object) to ``remote_path``.

        The remote file is replaced whole (the API writes it beside and renames).
        ``progress(done, total)`` follows the bytes of ``source`` as they are sent.
        """
        opened: IO[bytes] | None = None
        if isinstance(source, (bytes, bytearray)):
            handle: IO[bytes] = io.BytesIO(bytes(source))
        elif isinstance(source, str) and not os.path.exists(os.path.expanduser(source)):
            raise FileNotFoundError(
                f"{source!r} is not a local file; to upload text, pass it as bytes (text.encode())"
            )
        elif isinstance(source, (str, os.PathLike)):
            local = Path(source).expanduser()
            if local.is_dir():
                raise IsADirectoryError(f"{local} is a directory; upload its files one by one")
            opened = handle = open(local, "rb")  # noqa: SIM115 - closed below
        else:
            handle = source
        try:
            payload: Any = handle
            if progress is not None:
                payload = _ProgressReader(handle, _size_of(handle), progress)
            response = await self.machine.client._request(
                "PUT",
                f"utilities/upload/{self._url_name}/{encode_path(remote_path)}",
                files={"file": ("upload", payload)},
            )
        finally:
            if opened is not None:
                opened.close()
        body = json_object(response, f"upload to {remote_path}")
        if body.get("status") == "ERROR":
            raise file_error(str(body.get("error") or f"upload to {remote_path} failed"), body)
        return remote_path

    async def _get_with_progress(self, url: str, params: Any, progress: Progress) -> Any:
        """``client._get`` streaming the answer, to report how much has arrived."""
        client = self.machine.client
        if not client.authenticated:
            raise AuthenticationError(
                f"GET {url} needs an API client: pass client_id= and key=, " + HOW_TO_ADD_A_KEY
            )
        policy = client.retry
        for attempt in range(policy.attempts):
            last = attempt == policy.attempts - 1
            client.request_count += 1
            try:
                async with client._http.stream("GET", url, params=params) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        if not last and response.status_code in RETRY_STATUSES:
                            delay = policy.delay(attempt, retry_after_seconds(response))
                            await asyncio.sleep(delay)
                            continue
                        raise error_for_response(response)
                    length = response.headers.get("content-length")
                    total = int(length) if length and length.isdigit() else None
                    chunks: list[bytes] = []
                    received = 0
                    async for chunk in response.aiter_bytes():
                        chunks.append(chunk)
                        received += len(chunk)
                        progress(received, total)
                    try:
                        answer = json.loads(b"".join(chunks))
                    except ValueError:
                        raise UnexpectedAnswerError(
                            f"GET {url}: the API's answer is not JSON"
                        ) from None
                    if not isinstance(answer, dict):
                        raise UnexpectedAnswerError(f"GET {url}: the API's answer is not an object")
                    return answer
            except httpx.TimeoutException:
                error: SfApiError = RequestTimeout(
                    f"GET {url}: no answer from {client.api_base_url} in time"
                )
            except httpx.TransportError as exc:
                error = ConnectError(
                    f"GET {url}: the connection to {client.api_base_url} failed "
                    f"({type(exc).__name__})"
                )
            if last:
                raise error
            await asyncio.sleep(policy.delay(attempt))
        raise AssertionError("unreachable")  # pragma: no cover


class Files:
    """The blocking twin of :class:`AsyncFiles` (``Client.compute(name).files``);
    ``progress`` is called on the client's loop thread."""

    def __init__(self, client: Client, files: AsyncFiles) -> None:
        self._client = client
        self.aio = files

    def __repr__(self) -> str:
        return f"Files({self.aio.machine.name!r})"

    def ls(self, path: str) -> list[RemoteEntry]:
        return self._client._run(self.aio.ls(path))

    def download(
        self,
        path: str,
        to: str | os.PathLike[str] | None = None,
        *,
        binary: bool = True,
        overwrite: bool = True,
        progress: Progress | None = None,
    ) -> Any:
        return self._client._run(
            self.aio.download(path, to, binary=binary, overwrite=overwrite, progress=progress)
        )

    def upload(self, source: Any, remote_path: str, *, progress: Progress | None = None) -> str:
        return self._client._run(self.aio.upload(source, remote_path, progress=progress))
