"""A local facility for tests: a quick config, and clients of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sfapi_jupyter import AsyncClient, Client
from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.accounts import NewClient


def fast_config(state_dir: Path, **options: Any) -> FacilityConfig:
    """A facility whose jobs leave PENDING after 0.3 s and whose scheduler ticks every 50 ms."""
    options.setdefault("min_pending_seconds", 0.3)
    options.setdefault("scheduler_interval", 0.05)
    return FacilityConfig(state_dir=state_dir, **options)


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
