"""The facility as one object: configuration, state, accounts, tokens, tasks and a job backend.

``create_app`` wraps a :class:`Facility` in a FastAPI app; the CLI's admin commands use a
Facility directly (no server needed, the state is the SQLite database).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Coroutine
from typing import Any

from .accounts import Accounts, lock_down
from .auth import TokenService
from .backends.base import JobBackend
from .config import MACHINES, FacilityConfig
from .seed import seed
from .slots import UserSlots
from .store import Store
from .tasks import TaskManager
from .unix import isolation_enabled, startup_notice

log = logging.getLogger("sfapi_jupyter.facility")

BACKENDS = {
    "local": "sfapi_jupyter.facility.backends.local:LocalBackend",
    "slurm": "sfapi_jupyter.facility.backends.slurm:SlurmBackend",
}


def make_backend(config: FacilityConfig, store: Store) -> JobBackend:
    try:
        module_name, _, class_name = BACKENDS[config.backend].partition(":")
    except KeyError:
        raise ValueError(
            f"unknown backend {config.backend!r}; choose one of {', '.join(BACKENDS)}"
        ) from None
    backend_class = getattr(importlib.import_module(module_name), class_name)
    backend: JobBackend = backend_class(config, store)
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
        #: Threads for transfers: no user may hold them all.
        self.transfer_slots = UserSlots()
        self._backend: JobBackend | None = None
        self._background: set[asyncio.Task[Any]] = set()

    @property
    def isolation_notice(self) -> str:
        """What the facility isolates as it runs now (print it at start-up)."""
        return startup_notice()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` in the background, keeping a reference until it ends."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    @property
    def backend(self) -> JobBackend:
        if self._backend is None:
            self._backend = make_backend(self.config, self.store)
        return self._backend

    async def startup(self) -> None:
        if self.isolated:
            log.info(self.isolation_notice)
        elif not self.config.host_user:  # serving its own OS user only, there is no one else
            log.warning(self.isolation_notice)
        if not self.config.host_user:
            # Serving its own OS user, several kernels share one state directory: a task
            # another one is running is not a task cut off by a restart.
            self.tasks.recover()
        self._recover_transfers()
        await self.backend.start()

    def _recover_transfers(self) -> None:
        """Transfers cut off by a restart end FAILED (their copy died with the old server)."""
        for transfer_id, user, doc in self.store.list_transfers():
            if doc.get("globus_status") == "ACTIVE":
                doc.update(
                    globus_status="FAILED",
                    reason="the facility restarted during the transfer; start it again",
                )
                self.store.put_transfer(transfer_id, user, doc)

    async def shutdown(self) -> None:
        await self.tasks.shutdown()
        self.transfer_slots.shutdown()
        if self._backend is not None:
            await self._backend.stop()

    def close(self) -> None:
        self.store.close()
