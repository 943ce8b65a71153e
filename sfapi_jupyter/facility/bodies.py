"""Request bodies: bounded, and read only for a caller who may send them.

FastAPI reads (and for an upload, spools to a temporary file) a whole form body before any
dependency runs, so without this a 256 MiB upload by anyone who can reach the port was read
to the last byte before the 401. :class:`BodyGuard` (an ASGI middleware) therefore:

* answers 413 at once when the declared ``Content-Length`` is over the limit, before a byte
  of the body is read;
* stops a streamed (chunked) body as soon as it passes the limit, and answers 413;
* checks the bearer token, and that the client may write (every route with a body needs a
  red client), before the body of a write request is read: 401 or 403 as the route's own
  dependencies would answer, with the same words.

Limits: an upload may be ``max_upload_bytes`` plus the multipart framing; any other body a
form carrying a batch script of ``max_script_bytes`` (percent-encoding can triple it).
"""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import HTTPException
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import API_PREFIX
from .deps import IDENTITY_KEY, get_identity, get_writer

#: Room for a multipart body's boundaries and part headers around the file itself.
MULTIPART_SLACK = 64 * 1024
_UPLOAD_PREFIX = f"{API_PREFIX}/utilities/upload/"
_WRITES = ("POST", "PUT", "PATCH", "DELETE")


def form_body_limit(config: Any) -> int:
    """The largest body of a request other than an upload: a form carrying a batch script
    of ``max_script_bytes``, percent-encoded (up to 3 bytes for one)."""
    return 3 * int(config.max_script_bytes) + MULTIPART_SLACK


def _human(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"


class _TooLarge(Exception):
    """The body passed its limit while the application read it."""


class BodyGuard:
    """See the module docstring; ``facility`` is the app's :class:`~.core.Facility`."""

    def __init__(self, app: ASGIApp, facility: Any) -> None:
        self.app = app
        self.facility = facility

    def _limit(self, path: str) -> tuple[int, str]:
        config = self.facility.config
        if path.startswith(_UPLOAD_PREFIX):
            return config.max_upload_bytes + MULTIPART_SLACK, (
                f"the upload limit of {_human(config.max_upload_bytes)}; nothing was written. "
                "Move large files with a Globus transfer (/storage/globus/transfer)"
            )
        return form_body_limit(config), (
            f"the limit of {_human(form_body_limit(config))} for a form "
            f"(a batch script may be at most {config.max_script_bytes} bytes, Slurm's "
            "max_script_size)"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        limit, what = self._limit(scope["path"])
        declared = headers.get(b"content-length", b"").decode("latin-1").strip()
        if declared.isdigit() and int(declared) > limit:
            await _answer(scope, send, 413, f"Request body of {declared} bytes is over {what}")
            return
        carries_body = (declared.isdigit() and int(declared) > 0) or (
            b"transfer-encoding" in headers
        )
        if carries_body and scope["method"] in _WRITES and scope["path"].startswith(API_PREFIX):
            refusal = await self._refusal(scope)
            if refusal is not None:
                await refusal(scope, receive, send)
                return

        received = 0
        over = False
        started = False

        async def bounded_receive() -> Message:
            nonlocal received, over
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _TooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:  # whatever the application made of the cut body, the answer is 413
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        with contextlib.suppress(_TooLarge):  # the application stopped reading at the limit
            await self.app(scope, bounded_receive, guarded_send)
        if over and not started:
            await _answer(scope, send, 413, f"Request body is over {what}")

    async def _refusal(self, scope: Scope) -> JSONResponse | None:
        """The 401/403 the route's dependencies would give, decided before the body is read."""
        request = Request(scope)
        try:
            identity = await run_in_threadpool(get_identity, request, self.facility)
            get_writer(identity)
        except HTTPException as exc:
            # "close": else the server would go on reading (and dropping) the whole body.
            headers = {**(exc.headers or {}), "Connection": "close"}
            return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)
        scope.setdefault("state", {})[IDENTITY_KEY] = identity
        return None


async def _answer(scope: Scope, send: Send, status: int, detail: str) -> None:
    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    # The rest of the body is never read: the connection closes after this answer.
    response = JSONResponse({"detail": detail}, status, headers={"Connection": "close"})
    await response(scope, no_body, send)
