"""A local facility for tests: a quick config, and clients of it.

Also, for the reliability suite: facilities served over real HTTP that remember the secrets
they hand out (every private key and access token a helper here sees is kept in memory, never
on disk, in :data:`SEEN_SECRETS`, for the secret scan), a transport that counts requests, and
quick retries.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from sfapi_jupyter import AsyncClient, Client
from sfapi_jupyter.client import RetryPolicy
from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.clients import NewClient
from sfapi_jupyter.facility.server import LocalFacility


def fast_config(state_dir: Path, **options: Any) -> FacilityConfig:
    """A facility whose jobs leave PENDING after 0.3 s and whose scheduler ticks every 50 ms."""
    options.setdefault("min_pending_seconds", 0.3)
    options.setdefault("scheduler_interval", 0.05)
    return FacilityConfig(state_dir=state_dir, **options)


def reachable_state_dir(tmp_path_factory: Any, name: str) -> Path:
    """A new facility state directory (``<mktemp(name)>/state``) whose OS accounts can reach
    their homes inside it: pytest makes its directories 0700, and as root the facility runs
    each job as its user's own account, which needs ``x`` on every directory above."""
    base: Path = tmp_path_factory.mktemp(name)
    if os.geteuid() == 0:
        for directory in (base, *base.parents):
            directory.chmod(directory.stat().st_mode | 0o001)
    return base / "state"


def make_async_client(served: Any, creds: NewClient, **options: Any) -> AsyncClient:
    """An AsyncClient of ``creds`` on a facility (``served.transport`` may be in process)."""
    options.setdefault("transport", getattr(served, "transport", None))
    return AsyncClient(
        served.api_url,
        served.token_url,
        client_id=creds.client_id,
        key=creds.private_key_pem,
        **options,
    )


def make_client(served: Any, creds: NewClient, **options: Any) -> Client:
    """The blocking twin of :func:`make_async_client` (real HTTP only)."""
    return Client(
        served.api_url,
        served.token_url,
        client_id=creds.client_id,
        key=creds.private_key_pem,
        **options,
    )


#: Private keys and access tokens met during this test session (kept in memory only).
SEEN_SECRETS: set[str] = set()
#: Retries quick enough for tests, patient enough for a 20% fault rate.
FAST_RETRY = RetryPolicy(attempts=8, base=0.05, cap=1.0)


def remember_facility(facility: LocalFacility) -> None:
    with contextlib.suppress(OSError):
        SEEN_SECRETS.add(facility.config.signing_key_path.read_text().strip())


@contextlib.contextmanager
def serve(config: FacilityConfig, port: int = 0) -> Iterator[LocalFacility]:
    """The facility over real HTTP on loopback (``port=0``: any free port)."""
    with LocalFacility(config, port=port) as running:
        remember_facility(running)
        yield running


def new_client(facility: LocalFacility, user: str = "elvis", **options: Any) -> NewClient:
    creds = facility.create_client(user, **options)
    SEEN_SECRETS.add(creds.private_key_pem.strip())
    SEEN_SECRETS.update(
        str(creds.private_key_jwk[k]) for k in ("d", "p", "q") if k in creds.private_key_jwk
    )
    return creds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class CountingTransport(httpx.AsyncBaseTransport):
    """Real HTTP that counts requests (by kind), times them and remembers issued tokens."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.counts: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.latencies: list[float] = []
        self.failures = 0
        #: Every request as ``"METHOD /path"``, in the order sent.
        self.requests: list[str] = []

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        kind = "token" if request.url.path.endswith("/token") else request.method
        self.counts[kind] += 1
        self.requests.append(f"{request.method} {request.url.path}")
        start = time.perf_counter()
        try:
            response = await self._inner.handle_async_request(request)
        except httpx.TransportError:
            self.failures += 1
            raise
        self.latencies.append(time.perf_counter() - start)
        self.statuses[response.status_code] += 1
        if kind == "token" and response.status_code == 200:
            await response.aread()
            with contextlib.suppress(ValueError, KeyError):
                SEEN_SECRETS.add(response.json()["access_token"])
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def async_client(
    facility: LocalFacility, creds: NewClient, *, transport: Any = None, **options: Any
) -> AsyncClient:
    """:func:`make_async_client` over real HTTP, with quick retries unless told otherwise."""
    options.setdefault("retry", FAST_RETRY)
    return make_async_client(facility, creds, transport=transport, **options)


def sync_client(facility: LocalFacility, creds: NewClient, **options: Any) -> Client:
    options.setdefault("retry", FAST_RETRY)
    return make_client(facility, creds, **options)


def script(body: str, *options: str, constraint: str = "cpu") -> str:
    """A batch script for perlmutter: ``#!``, ``-C``, a walltime, ``options``, ``body``."""
    head = ["#!/bin/bash", f"#SBATCH -C {constraint}", "#SBATCH -t 00:10:00"]
    head += [f"#SBATCH {o}" for o in options]
    return "\n".join(head) + "\n" + body.strip() + "\n"


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (nearest rank) of ``values``; 0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[rank]
