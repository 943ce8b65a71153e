"""Fault injection: make a seeded fraction of API requests fail, for reliability tests.

A fault strikes either *before* the route runs (nothing happened) or *after* it ran (the
job was submitted, the file written, but the caller sees an error or a dropped connection).
The second kind is the one that catches clients which blindly retry a submit.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import FaultConfig

log = logging.getLogger(__name__)

REASONS = {
    "429": "Too Many Requests",
    "500": "Internal Server Error",
    "502": "Bad Gateway",
    "503": "Service Unavailable",
    "504": "Gateway Timeout",
}


class InjectedDrop(Exception):
    """Raised after a partial response so the server drops the connection."""


class FaultInjectionMiddleware:
    """ASGI middleware; only requests under ``prefix`` (the API) are affected."""

    def __init__(
        self,
        app: ASGIApp,
        config: FaultConfig,
        prefix: str,
        injected: list[tuple[str, str, str, str]],
    ) -> None:
        self.app = app
        self.config = config
        self.prefix = prefix
        self.random = random.Random(config.seed)
        #: (method, path, kind, when) of every fault, for tests and the server log.
        self.injected = injected

    def _pick(self, scope: Scope) -> tuple[str, str] | None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(self.prefix):
            return None
        if self.config.paths and not any(p in path for p in self.config.paths):
            return None
        if not self.config.kinds:  # "kinds=" picks nothing to inject
            return None
        if self.config.methods and scope.get("method", "") not in self.config.methods:
            return None
        if self.random.random() >= self.config.rate:
            return None
        kind = self.random.choice(self.config.kinds)
        if kind == "slow":
            when = "before"
        elif self.config.when != "either":
            when = self.config.when
        else:
            when = "before" if self.random.random() < 0.5 else "after"
        self.injected.append((scope.get("method", ""), path, kind, when))
        log.warning("fault injected: %s %s %s %s", scope.get("method"), path, kind, when)
        return kind, when

    async def _send_error(self, send: Send, kind: str) -> None:
        if kind == "drop":
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"1000"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b'{"sta', "more_body": True})
            raise InjectedDrop("fault injection: connection dropped")
        body = json.dumps({"detail": f"{REASONS[kind]} (injected fault)"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if kind in ("429", "503"):
            headers.append((b"retry-after", str(self.config.retry_after).encode()))
        await send({"type": "http.response.start", "status": int(kind), "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fault = self._pick(scope)
        if fault is None:
            await self.app(scope, receive, send)
            return
        kind, when = fault
        if kind == "slow":
            await asyncio.sleep(self.config.slow_seconds)
            await self.app(scope, receive, send)
            return
        if when == "before":
            await self._send_error(send, kind)
            return

        async def swallow(message: Message) -> None:
            del message  # the route ran; its answer is lost on the way back

        await self.app(scope, receive, swallow)
        await self._send_error(send, kind)


def injected_faults(app: Any) -> list[tuple[str, str, str, str]]:
    """The faults an app injected so far: (method, path, kind, before/after)."""
    return list(getattr(app.state, "injected_faults", []))
