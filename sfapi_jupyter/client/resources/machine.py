"""``AsyncMachine``: jobs, files and commands on one machine."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .._errors import (
    ApiError,
    CommandError,
    MachineUnavailableError,
    NotFoundError,
    SfApiError,
    UnexpectedAnswerError,
    WaitTimeout,
    json_object,
)
from ..models import CommandResult, JobInfo, Task, TaskStatus
from ..models.status import Status, StatusValue
from .files import AsyncFiles, moved_to_files
from .jobs import AsyncJob
from .sacct_batch import Row, SacctBatcher
from .submitting import Submitter, callback_fields
from .tasks import cancel_on_the_way_out

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from .._client import AsyncClient
    from ..h5 import AsyncH5File
    from ..scripts import CheckedScript
    from ..tail_batch import TailBatcher
    from ..watch import JobWatcher

#: Seconds a machine's status is trusted before a submit or command reads it again.
AVAILABILITY_MAX_AGE = 60.0


class AsyncMachine:
    """One machine of the API (``client.compute("perlmutter")``)."""

    def __init__(self, client: AsyncClient, name: str) -> None:
        self.client = client
        self.name = name
        self._watcher: JobWatcher | None = None
        self._tails: TailBatcher | None = None
        self._files: AsyncFiles | None = None
        self._submits: Submitter | None = None
        #: (loop time, status read) of the last availability check; see ensure_available.
        self._availability: tuple[float, asyncio.Future[Status | None]] | None = None
        #: Shared sacct requests (see ``sacct_rows``).
        self.sacct_batch = SacctBatcher(self)
        #: The Python that read HDF5 here, by the ``python=`` asked for (see ``h5``).
        self.h5_pythons: dict[str | None, str] = {}

    def __repr__(self) -> str:
        return f"AsyncMachine({self.name!r})"

    if not TYPE_CHECKING:  # at run time only: the type checker still sees no such names

        def __getattr__(self, name: str) -> Any:
            raise moved_to_files(self, name)

    async def aclose(self) -> None:
        if self._submits is not None:
            await self._submits.aclose()
        if self._watcher is not None:
            await self._watcher.stop()
            self._watcher = None
        tasks = self.sacct_batch.pending_tasks()
        if self._tails is not None:
            tasks += self._tails.pending_tasks()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def watcher(self) -> JobWatcher:
        """The machine's shared job poller (one per client and machine)."""
        if self._watcher is None:
            from ..watch import JobWatcher

            self._watcher = JobWatcher(self)
        return self._watcher

    @property
    def tails(self) -> TailBatcher:
        """The machine's shared tail poller: one command per poll for every file followed."""
        if self._tails is None:
            from ..tail_batch import TailBatcher

            self._tails = TailBatcher(self)
        return self._tails

    async def status(self) -> Any:
        return await self.client.status(self.name)

    async def ensure_available(self, max_age: float = AVAILABILITY_MAX_AGE) -> None:
        """Raise :class:`MachineUnavailableError` if the machine's status is ``unavailable``.

        Submits and commands call this first, as NERSC's client means to. The answer is kept
        ``max_age`` seconds and shared by concurrent callers, so a loop of 100 submits costs
        one status request.
        """
        status = await self.cached_status(max_age)
        if status is not None and status.status == StatusValue.unavailable:
            notes = "; ".join(status.notes or [])
            raise MachineUnavailableError(
                f"{self.name} is unavailable ({status.description or 'down'}"
                f"{': ' + notes if notes else ''}). Wait until client.status({self.name!r}) "
                "says it is back, or use another machine.",
                status=status,
            )

    async def cached_status(self, max_age: float = AVAILABILITY_MAX_AGE) -> Status | None:
        """The machine's status, read at most once per ``max_age`` seconds (None: unreadable).

        The read :meth:`ensure_available` uses, so a caller that shows the status before a
        submit (``%%sfjob``) and the submit itself share one request.
        """
        loop = asyncio.get_running_loop()
        if self._availability is None or loop.time() - self._availability[0] > max_age:
            self._availability = (loop.time(), asyncio.ensure_future(self._read_status()))
        return await asyncio.shield(self._availability[1])

    async def _read_status(self) -> Status | None:
        try:
            return await self.client.status(self.name)
        except SfApiError:
            return None  # the status cannot be read: let the API answer the call itself

    # -- jobs -------------------------------------------------------------------------------
    async def fetch_rows(
        self,
        jobids: list[str] | None = None,
        *,
        sacct: bool = False,
        cached: bool = True,
        user: str | None = None,
        partition: str | None = None,
    ) -> list[dict[str, Any]]:
        """One ``GET /compute/jobs/{machine}`` with filters; the raw rows."""
        kwargs = []
        if jobids:
            kwargs.append("jobid=" + ",".join(str(j) for j in jobids))
        if user:
            kwargs.append(f"user={user}")
        if partition:
            kwargs.append(f"partition={partition}")
        params: dict[str, Any] = {"sacct": sacct, "kwargs": kwargs}
        if not cached:
            params["cached"] = False
        body = await self.client._get(f"compute/jobs/{self.name}", params, shape=dict)
        if body.get("status") == "ERROR":
            raise ApiError(f"Listing jobs on {self.name} failed: {body.get('error')}", body=body)
        rows: list[dict[str, Any]] = body.get("output") or []
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise UnexpectedAnswerError(
                f"GET compute/jobs/{self.name}: the API's jobs are not a list of objects"
            )
        return rows

    async def sacct_rows(self, jobids: Iterable[str], *, cached: bool = True) -> list[Row]:
        """sacct rows of ``jobids``, from one request shared by every concurrent caller.

        See :class:`~sfapi_jupyter.client.resources.sacct_batch.SacctBatcher`; pick
        your rows by id with :func:`~sfapi_jupyter.client.resources.sacct_batch.rows_of`.
        """
        return await self.sacct_batch.rows(jobids, cached=cached)

    @property
    def submits(self) -> Submitter:
        """The machine's submits (see :mod:`~sfapi_jupyter.client.resources.submitting`)."""
        if self._submits is None:
            self._submits = Submitter(self)
        return self._submits

    async def submit(
        self,
        script: str | CheckedScript,
        args: list[str] | None = None,
        *,
        callback_url: str | None = None,
        callback_email: str | None = None,
        callback_timeout: int | None = None,
    ) -> AsyncJob:
        """Submit a batch script (its text, or the path of a script on the machine); the
        job, once the API has given its id.

        The job is never submitted twice: a text script carries a unique marker, and after
        an ambiguous failure (a timeout, a dropped connection, a 5xx) the queue is searched
        for it before anything is sent again. To submit many, see :meth:`submit_nowait`
        and :meth:`submit_many`. A :class:`~sfapi_jupyter.client.scripts.CheckedScript`
        (:func:`~sfapi_jupyter.client.scripts.checked_script`) is sent without a second check.

        The SF API's submit callbacks: ``callback_url`` gets one POST when the job ends,
        ``callback_email`` one message, ``callback_timeout`` (seconds) bounds the POST.
        """
        prepared = self.submits.prepare(script, args)
        prepared.data.update(callback_fields(callback_url, callback_email, callback_timeout))
        return await self.submits.send(prepared)

    def submit_nowait(self, script: str | CheckedScript, args: list[str] | None = None) -> AsyncJob:
        """Check the script, start submitting it, and return its job at once.

        Call it on the client's event loop (in a coroutine). The id arrives when the API
        answers: ``await job.ready()`` waits for it; ``job.wait()``, ``refresh()`` and
        ``cancel()`` wait for it first. A bad script raises here; a failure of the submit
        itself is raised by the job's first use and by :meth:`wait_submitted`. Several
        submits are in flight at once and their task polls share requests, so a loop of
        them is several times faster than a loop of :meth:`submit`.
        """
        return self.submits.submit_nowait(script, args)

    async def submit_many(
        self, scripts: Iterable[str | CheckedScript], args: list[str] | None = None
    ) -> list[AsyncJob]:
        """Submit every script (checked first, all of them) at once; their jobs, in order.

        If some fail, :class:`SubmitError` says which and why; its ``jobs`` are the ones
        submitted, ``failed`` the others (each with its ``submit_error``).
        """
        return await self.submits.submit_many(scripts, args)

    async def wait_submitted(self) -> list[AsyncJob]:
        """Wait for every :meth:`submit_nowait` since the last call; their jobs, in order.

        Raises :class:`SubmitError` (a summary, with ``jobs`` and ``failed``) if any failed.
        """
        return await self.submits.wait_submitted()

    async def _find_submission(self, marker: str, settle_timeout: float = 60.0) -> AsyncJob | None:
        return await self.submits.find(marker, settle_timeout)

    async def job(self, jobid: str | int) -> AsyncJob:
        """A job by id, with its current state.

        Concurrent look-ups (``asyncio.gather`` of many ``job()`` calls) share one request.
        """
        job = AsyncJob(self, str(jobid))
        await job.refresh()
        if job.info is None:
            raise NotFoundError(f"Job {jobid} is not known on {self.name}")
        return job

    async def jobs(
        self,
        user: str | None = None,
        *,
        all_users: bool = False,
        jobids: list[str] | None = None,
        partition: str | None = None,
        sacct: bool = False,
    ) -> list[AsyncJob]:
        """Queued and running jobs of ``user`` (default: you); ``sacct=True`` adds finished ones."""
        if user is None and not all_users and not jobids:
            user = (await self.client.whoami()).name
        rows = await self.fetch_rows(jobids, sacct=sacct, user=user, partition=partition)
        return [AsyncJob(self, info.jobid, info) for info in map(JobInfo.from_row, rows)]

    # -- files (client/resources/files.py) ------------------------------------------------
    @property
    def files(self) -> AsyncFiles:
        """The machine's files: ``ls``, ``download``, ``upload``, with progress callbacks."""
        if self._files is None:
            self._files = AsyncFiles(self)
        return self._files

    # -- commands ---------------------------------------------------------------------------
    async def run(
        self, command: str | list[str], *, check: bool = False, timeout: float | None = None
    ) -> CommandResult:
        """Run a shell command in your home on the machine.

        A non-zero exit is data (``result.exit_code``), unless ``check=True``. A command
        still running after ``timeout`` seconds, or when the caller is interrupted, is
        cancelled on the machine (its whole process group) and raises :class:`WaitTimeout`.
        """
        if isinstance(command, list):
            import shlex

            command = shlex.join(command)
        await self.ensure_available()
        response = await self.client._request(
            "POST", f"utilities/command/{self.name}", data={"executable": command}, retry=False
        )
        body = json_object(response, f"POST utilities/command/{self.name}")
        if body.get("status") == "ERROR" or not body.get("task_id"):
            raise ApiError(f"Command refused: {body.get('error')}", body=body)
        task = await self._wait_command(command, str(body["task_id"]), timeout)
        raw = task.result if isinstance(task.result, dict) else {"output": str(task.result or "")}
        result = CommandResult.model_validate(
            {k: ("" if v is None and k in ("output", "error") else v) for k, v in raw.items()}
        )
        if check and not result.ok:
            stderr = result.error.strip()[:500]
            raise CommandError(
                f"{command!r} exited {result.exit_code}"
                + (f": {stderr}" if stderr else " (it wrote nothing to stderr)"),
                result=result,
            )
        return result

    async def _wait_command(self, command: str, task_id: str, timeout: float | None) -> Task:
        """The command's finished task. A command that outlives ``timeout``, or whose caller
        is interrupted (Ctrl-C, a cancelled coroutine), is cancelled on the machine: it must
        not go on running there unseen."""
        try:
            return await self.client.wait_task(task_id, timeout)
        except WaitTimeout:
            try:
                task = await self.client.cancel_task(task_id)
            except SfApiError as exc:
                raise WaitTimeout(
                    f"{command!r} did not finish on {self.name} within {timeout:g} s, and "
                    f"cancelling it failed ({exc.message}): it may still be running there "
                    f"(task {task_id}; client.cancel_task({task_id!r}) tries again)."
                ) from None
            if task.status is TaskStatus.completed:  # it ended just before the cancel
                return task
            raise WaitTimeout(
                f"{command!r} did not finish on {self.name} within {timeout:g} s, so it was "
                f"cancelled there (task {task_id}). Pass a longer timeout=, or run it as a "
                "batch job (submit) if it needs long."
            ) from None
        except asyncio.CancelledError:
            await cancel_on_the_way_out(self.client, task_id)
            raise

    def tail(self, path: str, *, follow: bool = True, **options: Any) -> AsyncIterator[str]:
        """Follow a remote file as it grows: an async iterator of the new text.

        Only new bytes cross the API; a file not there yet, truncated or replaced is
        handled. ``options`` are those of :func:`sfapi_jupyter.client.tail.tail_remote_file`
        (``interval``, ``from_end``, ``lines``, ``stop``, ``missing_timeout``, ...).

        >>> async for text in machine.tail("job.out", stop=lambda: job.is_terminal):
        ...     print(text, end="")                                   # doctest: +SKIP
        """
        from ..tail import tail_remote_file

        return tail_remote_file(self, path, follow=follow, **options)

    def h5(self, path: str, *, python: str | None = None, **options: Any) -> AsyncH5File:
        """An HDF5 or EMD file here, read where it lies (no request until asked).

        ``await h5.tree()``, ``await h5.slice(...)``, ``await h5.mean_diffraction(...)``,
        ``await h5.virtual_image(...)``: see :class:`~sfapi_jupyter.client.h5.AsyncH5File`
        and ``docs/hdf5.md``. ``job=True`` (or a dict or string of sbatch options) runs each
        question as a short batch job instead of a command, for large data.
        """
        from ..h5 import AsyncH5File

        return AsyncH5File(self, path, python=python, **options)
