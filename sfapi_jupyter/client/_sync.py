"""``Client``, ``Machine`` and ``Job``: the blocking facade over the async core.

Every method runs the same coroutine as its async twin, on one private event-loop thread
per client (:class:`sfapi_jupyter.client._loop.LoopThread`), so the sync client works in scripts
and inside a running Jupyter kernel. The client's calls per area of the API (status, account,
tasks, transfers, groups) are written beside their async twins, in ``resources/``.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from ._auth import KeyRefusedWarning
from ._client import AsyncClient
from ._errors import SubmitError
from ._loop import LoopThread
from ._sync_h5 import H5File
from ._sync_transfer import SyncTransfers, Transfer
from .models import CommandResult, JobInfo, JobState
from .resources.account import SyncAccount
from .resources.files import Files, moved_to_files
from .resources.groups import SyncGroups
from .resources.jobs import AsyncJob
from .resources.machine import AsyncMachine
from .resources.status import SyncStatus
from .resources.tasks import SyncTasks
from .scripts import CheckedScript

if TYPE_CHECKING:
    from .cost import JobCost

T = TypeVar("T")


class Job:
    """A blocking handle on a job; see :class:`AsyncJob` for the fields."""

    def __init__(self, client: Client, job: AsyncJob) -> None:
        self._client = client
        self.aio = job

    def __repr__(self) -> str:
        return repr(self.aio)

    def __getattr__(self, name: str) -> Any:
        # Data attributes (state, exit_code, times, ...) come straight from the async handle;
        # private ones (IPython's _repr_*_ probes) without waiting for a background submit.
        return getattr(self.aio if name.startswith("_") else self._ready(), name)

    def _ready(self) -> AsyncJob:
        """The async handle, once a background submit has given the job its id (blocks
        until then; raises the submit's error if it failed)."""
        if not self.aio.submitted:
            self._client._run(self.aio.ready())
        return self.aio

    def ready(self, timeout: float | None = None) -> Job:
        """Wait until a background submit (``submit_nowait``) has given the job its id."""
        self._client._run(self.aio.ready(), timeout)
        return self

    @property
    def submitted(self) -> bool:
        """The job has its id (``False`` while a background submit runs, or if it failed)."""
        return self.aio.submitted

    @property
    def submit_error(self) -> BaseException | None:
        return self.aio.submit_error

    @property
    def client(self) -> Client:
        """The client this job was reached through."""
        return self._client

    @property
    def machine(self) -> Machine:
        """The job's machine (a blocking handle)."""
        return self._client.compute(self.aio.machine.name)

    @property
    def jobid(self) -> str:
        return self._ready().jobid

    @property
    def state(self) -> JobState:
        return self._ready().state

    @property
    def info(self) -> JobInfo | None:
        return self._ready().info

    @property
    def is_terminal(self) -> bool:
        return self._ready().is_terminal

    def refresh(self) -> Job:
        self._client._run(self.aio.refresh())
        return self

    def wait(self, timeout: float | None = None, *, check: bool = False) -> Job:
        self._client._run(self.aio.wait(timeout, check=check))
        return self

    def cancel(self, *, wait: bool = False, timeout: float | None = 60.0) -> Job:
        self._client._run(self.aio.cancel(wait=wait, timeout=timeout))
        return self

    def cost(self, *, fallback: bool = True) -> JobCost:
        """What the ended job cost (see :meth:`AsyncJob.cost`)."""
        return self._client._run(self.aio.cost(fallback=fallback))


class Machine:
    """A blocking handle on a machine; see :class:`AsyncMachine`."""

    def __init__(self, client: Client, machine: AsyncMachine) -> None:
        self._client = client
        self.aio = machine
        self.name = machine.name
        self._files: Files | None = None

    def __repr__(self) -> str:
        return f"Machine({self.name!r})"

    if not TYPE_CHECKING:  # at run time only: the type checker still sees no such names

        def __getattr__(self, name: str) -> Any:
            raise moved_to_files(self, name)

    @property
    def files(self) -> Files:
        """The machine's files: ``ls``, ``download``, ``upload``; see :class:`AsyncFiles`."""
        if self._files is None:
            self._files = Files(self._client, self.aio.files)
        return self._files

    @property
    def client(self) -> Client:
        """The client this machine was reached through."""
        return self._client

    def job_handle(self, job: AsyncJob) -> Job:
        """A blocking handle on ``job``, an :class:`AsyncJob` of this machine (no request)."""
        return Job(self._client, job)

    def status(self) -> Any:
        return self._client._run(self.aio.status())

    def submit(
        self,
        script: str | CheckedScript,
        args: list[str] | None = None,
        *,
        callback_url: str | None = None,
        callback_email: str | None = None,
        callback_timeout: int | None = None,
    ) -> Job:
        """Submit a batch script; see :meth:`AsyncMachine.submit` (callbacks included)."""
        submitting = self.aio.submit(
            script,
            args,
            callback_url=callback_url,
            callback_email=callback_email,
            callback_timeout=callback_timeout,
        )
        return self.job_handle(self._client._run(submitting))

    def submit_nowait(self, script: str | CheckedScript, args: list[str] | None = None) -> Job:
        """Start a submit and return its job at once; see :meth:`AsyncMachine.submit_nowait`.

        ``job.jobid`` (and any use of the job) blocks until the API has given the id, and
        raises the submit's error if it failed.
        """

        async def start() -> AsyncJob:
            return self.aio.submit_nowait(script, args)

        return self.job_handle(self._client._run(start()))

    def submit_many(
        self, scripts: Iterable[str | CheckedScript], args: list[str] | None = None
    ) -> list[Job]:
        """Submit every script at once; see :meth:`AsyncMachine.submit_many`."""
        return self._jobs_of(self.aio.submit_many(list(scripts), args))

    def wait_submitted(self) -> list[Job]:
        """Wait for every ``submit_nowait`` since the last call; see
        :meth:`AsyncMachine.wait_submitted`."""
        return self._jobs_of(self.aio.wait_submitted())

    def _jobs_of(self, submitting: Coroutine[Any, Any, list[AsyncJob]]) -> list[Job]:
        try:
            return [self.job_handle(j) for j in self._client._run(submitting)]
        except SubmitError as exc:  # the summary holds blocking handles, like the answer
            exc.jobs = [self.job_handle(j) for j in exc.jobs]
            exc.failed = [self.job_handle(j) for j in exc.failed]
            raise

    def job(self, jobid: str | int) -> Job:
        return self.job_handle(self._client._run(self.aio.job(jobid)))

    def jobs(self, user: str | None = None, **options: Any) -> list[Job]:
        return [self.job_handle(j) for j in self._client._run(self.aio.jobs(user, **options))]

    def run(
        self, command: str | list[str], *, check: bool = False, timeout: float | None = None
    ) -> CommandResult:
        return self._client._run(self.aio.run(command, check=check, timeout=timeout))

    def h5(self, path: str, *, python: str | None = None, **options: Any) -> H5File:
        """An HDF5 or EMD file here, read where it lies; see :meth:`AsyncMachine.h5`."""
        aio, client = self.aio.h5(path, python=python, **options), self._client
        return H5File(client, aio, lambda job: Job(client, job))

    def tail(self, path: str, *, follow: bool = True, **options: Any) -> Iterator[str]:
        """Follow a remote file as it grows (blocking); see :meth:`AsyncMachine.tail`.

        >>> for text in machine.tail("job.out", follow=False):   # doctest: +SKIP
        ...     print(text, end="")
        """

        async def start() -> AsyncIterator[str]:
            return self.aio.tail(path, follow=follow, **options)

        async def step(chunks: AsyncIterator[str]) -> tuple[bool, str]:
            try:
                return True, await chunks.__anext__()
            except StopAsyncIteration:
                return False, ""

        async def close(chunks: AsyncIterator[str]) -> None:
            aclose = getattr(chunks, "aclose", None)
            if aclose is not None:
                await aclose()

        def blocking() -> Iterator[str]:
            chunks = self._client._run(start())
            try:
                while True:
                    more, text = self._client._run(step(chunks))
                    if not more:
                        return
                    yield text
            finally:
                loop = self._client.loop_thread
                if loop.running and not loop.in_loop_thread():
                    self._client._run(close(chunks))

        return blocking()


class Client(SyncStatus, SyncAccount, SyncTasks, SyncTransfers, SyncGroups):
    """The blocking client: the same calls as :class:`AsyncClient`, without ``await``.

    >>> from sfapi_jupyter import Client
    >>> with Client() as client:                     # doctest: +SKIP
    ...     print(client.status("perlmutter").status)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._loop = LoopThread()
        try:
            self.aio: AsyncClient = self._loop.run(self._make(*args, **kwargs))
        except BaseException:
            self._loop.stop()
            raise
        self._machines: dict[str, Machine] = {}
        self._refusal_told = False

    @staticmethod
    async def _make(*args: Any, **kwargs: Any) -> AsyncClient:
        client = AsyncClient(*args, **kwargs)
        # Warned here, in the caller's thread (a notebook shows it under the right cell).
        client.warn_key_refused = False
        return client

    def __repr__(self) -> str:
        return repr(self.aio).replace("AsyncClient", "Client", 1)

    def run_coroutine(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run a coroutine of the async core (``client.aio``) on this client's loop, and block.

        For what the facade has no method for, e.g. several calls at once::

            client.run_coroutine(asyncio.gather(client.aio.status(), client.aio.projects()))
        """
        try:
            return self._loop.run(coro, timeout)
        finally:
            if self.aio.key_refused and not self._refusal_told:
                self._refusal_told = True
                warnings.warn(self.aio.key_refused, KeyRefusedWarning, stacklevel=3)

    _run = run_coroutine

    @property
    def loop_thread(self) -> LoopThread:
        """The thread whose event loop runs every call of this client (and of ``aio``)."""
        return self._loop

    # -- lifecycle --------------------------------------------------------------------------
    def close(self) -> None:
        if self._loop.running:
            self._run(self.aio.aclose())
            self._loop.stop()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- handles ----------------------------------------------------------------------------
    def compute(self, machine: str) -> Machine:
        if machine not in self._machines:
            self._machines[machine] = Machine(self, self.aio.compute(machine))
        return self._machines[machine]


__all__ = ["Client", "Job", "Machine", "Transfer"]
