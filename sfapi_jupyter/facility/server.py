"""Serve a facility over real HTTP in a background thread (tests, notebooks, demos)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from .app import create_app
from .clients import NewClient
from .config import API_PREFIX, TOKEN_PATH, FacilityConfig
from .core import Facility


def uvicorn_options(config: FacilityConfig) -> dict[str, Any]:
    """What uvicorn must be told about proxies for ``config`` (pass to ``uvicorn.run``).

    uvicorn believes ``X-Forwarded-For`` from 127.0.0.1 unless told otherwise, which would
    let any local client claim an address inside another client's IP ranges. Forwarded
    headers count only from the proxies the admin names in ``trusted_proxies``.
    """
    if not config.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(config.trusted_proxies)}


class LocalFacility:
    """A facility served by uvicorn on loopback in a background thread.

    >>> from sfapi_jupyter.facility import LocalFacility
    >>> with LocalFacility(state_dir="/tmp/doc-facility") as facility:
    ...     creds = facility.create_client("elvis")
    ...     facility.api_url.startswith("http://127.0.0.1:")
    True
    """

    def __init__(
        self,
        config: FacilityConfig | None = None,
        *,
        state_dir: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        **options: Any,
    ) -> None:
        if config is None:
            config = (
                FacilityConfig(**options)
                if state_dir is None
                else FacilityConfig(state_dir=Path(state_dir), **options)
            )
        self.config = config
        self.facility = Facility(config)
        self.app = create_app(self.facility)
        self._uvicorn = uvicorn.Server(
            uvicorn.Config(
                self.app,
                host=host,
                port=port,
                log_level="warning",
                lifespan="on",
                **uvicorn_options(config),
            )
        )
        self._thread: threading.Thread | None = None
        self.host = host
        self.port = port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    def start(self, timeout: float = 30.0) -> LocalFacility:
        self._thread = threading.Thread(
            target=self._uvicorn.run, name="sfapi-facility", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the local facility did not start on {self.host}:{self.port}; "
                    "is the port already in use?"
                )
            time.sleep(0.01)
        sockets = self._uvicorn.servers[0].sockets
        self.port = sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._uvicorn.should_exit = True
            self._thread.join(timeout=30)
            self._thread = None
        self.facility.close()

    def create_client(self, user: str = "elvis", **options: Any) -> NewClient:
        """Register an API client (see :meth:`Accounts.create_client`)."""
        return self.facility.accounts.create_client(user, **options)

    def __enter__(self) -> LocalFacility:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
