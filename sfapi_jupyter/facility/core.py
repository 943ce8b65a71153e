"""The facility as one object: configuration, state, accounts, tokens, tasks, transfers and a
job backend.

``create_app`` wraps a :class:`Facility` in a FastAPI app; the CLI's admin commands use a
Facility directly (no server needed, the state is the SQLite database).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from typing import Any

from .accounts import Accounts
from .auth import TokenService
from .backends.base import JobBackend
from .callbacks import Callbacks
from .config import MACHINES, FacilityConfig
from .host_accounts import lock_down
from .seed import seed
from .store import Store
from .tasks import TaskManager
from .transfers import Transfers
from .unix import isolation_enabled, startup_notice

log = logging.getLogger("sfapi_jupyter.facility")

BACKENDS = {
    "local": "sfapi_jupyter.facility.backends.local:LocalBackend",
    "slurm": "sfapi_jupyter.facility.backends.slurm:SlurmBackend",
}


def make_backend(config: FacilityConfig, store: Store, accounts: Accounts) -> JobBackend:
    try:
        module_name, _, class_name = BACKENDS[config.backend].partition(":")
    except KeyError:
        raise ValueError(
            f"unknown backend {config.backend!r}; choose one of {', '.join(BACKENDS)}"
        ) from None
    backend_class = getattr(importlib.import_module(module_name), class_name)
    backend: JobBackend = backend_class(config, store, accounts)
    return backend


class Facility:
    """A local SF API facility rooted at ``config.state_dir``."""

    machines = MACHINES

    def __init__(self, config: FacilityConfig | None = None) -> None:
        self.config = config or FacilityConfig()
        self.config.ensure_dirs()
        self.isolated = isolation_enabled()
        if self.isolated:
            lock_down(self.config)
        self.store = Store(self.config.db_path)
        seed(self.store)
        self.accounts = Accounts(self.config, self.store)
        if self.isolated:
            self.accounts.sync_os_accounts()
        self.tokens = TokenService(self.config, self.accounts)
        self.tasks = TaskManager(self.store, self.config)
        self.transfers = Transfers(self.config, self.store, self.accounts)
        self._backend: JobBackend | None = None
        self.callbacks = Callbacks(self)
        self._callback_loop: asyncio.Task[Any] | None = None

    @property
    def isolation_notice(self) -> str:
        """What the facility isolates as it runs now (print it at start-up)."""
        return startup_notice()

    @property
    def backend(self) -> JobBackend:
        if self._backend is None:
            self._backend = make_backend(self.config, self.store, self.accounts)
        return self._backend

    async def startup(self) -> None:
        if self.isolated:
            log.info(self.isolation_notice)
        else:
            log.warning(self.isolation_notice)
        self.tasks.recover()
        self.transfers.recover()
        await self.backend.start()
        self._callback_loop = asyncio.get_running_loop().create_task(self.callbacks.run())

    async def shutdown(self) -> None:
        if self._callback_loop is not None:
            self._callback_loop.cancel()
        await self.tasks.shutdown()
        self.transfers.shutdown()
        if self._backend is not None:
            await self._backend.stop()

    def close(self) -> None:
        self.store.close()
