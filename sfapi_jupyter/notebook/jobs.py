"""Job cards: a live ``JobCard`` per job (state, array tasks, stdout/stderr as written).

:func:`job_card` is what ``%sfjob JOBID`` shows; :func:`~.submit.submit_job` starts one
for each job it submits.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

from ..client import AsyncJob, Client, Job, JobState, Machine, NotFoundError, SfApiError
from ..widgets import JobCard
from ._common import as_job, resolve_machine
from .controllers import Feed, call
from .frames import FrameWatch, check_watch_pattern, job_directory
from .records import JobRecord, job_records

_WAITING = (JobState.UNKNOWN, JobState.PENDING, JobState.CONFIGURING, JobState.REQUEUED)


def output_paths(
    job: AsyncJob, record: JobRecord | None, task: str | None = None
) -> tuple[str | None, str | None]:
    """A job's stdout and stderr files, from its script's directives (recorded) or Slurm's default.

    For an array, those of its first task, or of ``task`` (an index). The stderr path is None
    when stderr goes to the stdout file.
    """
    from ..client.scripts import SbatchDirectives, default_output_path

    info = job.info
    work_dir = (info.work_dir if info else None) or (record.work_dir if record else None)
    if not work_dir:
        return None, None
    # squeue/sacct's work dir already has --chdir applied; a recorded one has not.
    chdir = None if info and info.work_dir else (record.chdir if record else None)
    directives = SbatchDirectives(
        job_name=(info.name if info else None) or (record.job_name if record else None),
        output=record.output if record else None,
        error=record.error if record else None,
        array=(record.array if record else None) or (info.array_task_id if info else None),
        chdir=chdir,
    )
    first_task = None
    if directives.array:
        match = re.match(r"\[?(\d+)", directives.array)
        first_task = int(match[1]) if match else None
    if task is not None and task.isdigit():
        first_task = int(task)
    user = (info.user if info else None) or (record.user if record else None) or ""
    jobid = (info.array_job_id if info else None) or job.jobid
    options = {"user": user, "array_job_id": jobid, "array_task_id": first_task}
    stdout = default_output_path(directives, jobid, work_dir, **options)  # type: ignore[arg-type]
    stderr = default_output_path(directives, jobid, work_dir, error=True, **options)  # type: ignore[arg-type]
    return stdout, (None if stderr == stdout else stderr)


class CardFeed(Feed[JobCard]):
    """State, array tasks and stdout/stderr of one job, into a ``JobCard``; its cancel button
    cancels the job. At the end, the card's static summary goes into its output."""

    def __init__(
        self,
        client: Client,
        card: JobCard,
        job: AsyncJob,
        paths: tuple[str | None, str | None],
        *,
        record: JobRecord | None = None,
        script: str | None = None,
        args: list[str] | None = None,
        watch: str | None = None,
    ) -> None:
        super().__init__(client, card)
        self.job = job
        self.paths = paths
        self.record = record
        self.script, self.args = script, args
        self._tails: list[asyncio.Task[None]] = []
        self._started, self._ended = asyncio.Event(), asyncio.Event()
        self.frames = FrameWatch(job.machine, watch, self.widget_call) if watch else None
        self.answer("cancel", self._cancel)
        self.answer("task", self._pick_task)
        if script is not None:  # only a script submitted here can be sent again
            self.answer("resubmit", self._resubmit)

    def _pick_task(self, jobid: str, task: str) -> None:
        self.run_soon(self._follow_task(jobid, task), self._task_failed)

    async def _follow_task(self, jobid: str, task: str) -> None:
        """Follow the output of array task ``jobid`` instead of the one followed so far:
        through the machine's batched tail, so many cards and tasks cost one command a poll."""
        paths = output_paths(self.job, self.record, task)
        tails, self._tails = self._tails, []
        for tail in tails:
            tail.cancel()
        # Gone before the card is cleared: no line of the task shown before comes after.
        await asyncio.gather(*tails, return_exceptions=True)
        self.widget_call("show_task", jobid, paths[0], paths[1])
        # After the end a file is read once, so a missing one is said, not waited for.
        self._start_tails(paths, follow=not self._ended.is_set())

    def _task_failed(self, result: Any) -> None:
        if isinstance(result, BaseException) and self.widget is not None:
            self.widget.set_message(f"Cannot show that task's output: {result}", "error")

    def _resubmit(self, indices: list[str]) -> None:
        assert self.script is not None
        script = array_script(self.script, indices)
        self.run_soon(self.job.machine.submit(script, self.args), self._resubmitted(indices))

    def _resubmitted(self, indices: list[str]) -> Any:
        def done(result: Any) -> None:
            card = self.widget
            if card is None:
                return
            if isinstance(result, BaseException):
                text = result.message if isinstance(result, SfApiError) else str(result)
                card.set_message(f"Resubmitting the failed tasks failed: {text}", "error")
                card.allow_resubmit()
                return
            card.resubmitted = result.jobid
            listing = ",".join(indices)
            card.set_message(
                f"Resubmitted failed tasks {listing} as job {result.jobid} "
                f"(%sfjob {result.jobid} follows it).",
                "info",
            )
            self._record_resubmission(result, listing)

        return done

    def _record_resubmission(self, job: AsyncJob, listing: str) -> None:
        record = self.record
        if record is None:
            return
        job_records().save(
            dataclasses.replace(
                record, jobid=job.jobid, array=listing, state=job.state.value, script_hash=None
            )
        )

    def _cancel(self) -> None:
        self.run_soon(self.job.cancel(), self._cancelled)

    def _cancelled(self, result: Any) -> None:
        card = self.widget
        if card is not None:
            failed = isinstance(result, BaseException)
            card.set_message(
                f"Cancel failed: {result}" if failed else "Cancel requested.",
                "error" if failed else "info",
            )

    def __repr__(self) -> str:
        return f"<CardFeed job {self.job.jobid} on {self.job.machine.name}>"

    def _show(self) -> None:
        job, watcher = self.job, self.job.machine.watcher
        if job.info is not None:
            self.widget_call("set_job", job.info)
        if self._is_array():
            self.widget_call("set_array_tasks", watcher.tasks_of(job.jobid))

    def _is_array(self) -> bool:
        tasks = self.job.machine.watcher.tasks_of(self.job.jobid)
        return len(tasks) > 1 or any(t.array_task_id is not None for t in tasks)

    def _start_tails(self, paths: tuple[str | None, str | None], follow: bool = True) -> None:
        for path, stream in zip(paths, ("stdout", "stderr"), strict=True):
            if path:
                self._tails.append(asyncio.create_task(self._tail(path, stream, follow)))

    async def _show_cost(self) -> None:
        """The cost panel: from the sacct row, or sacct on the machine when it lacks usage."""
        try:
            cost = await self.job.cost()
        except (SfApiError, ValueError) as exc:
            text = exc.message if isinstance(exc, SfApiError) else str(exc)
            self.widget_call("set_message", f"What the job cost is not known: {text}", "warning")
            return
        self.widget_call("set_cost", cost.to_json())

    async def run(self) -> None:
        job = self.job
        watcher = job.machine.watcher
        assert self._stop is not None
        started, ended = self._started, self._ended

        def on_event(event: Any) -> None:
            if event.jobid == job.jobid:
                self._show()
                if event.new not in _WAITING:
                    started.set()

        unsubscribe = watcher.subscribe(on_event)
        try:
            self._show()
            if job.state not in _WAITING:
                started.set()
            self._start_tails(self.paths)
            frames = self._watch_frames()
            waiting = asyncio.create_task(watcher.wait(job))
            stopping = asyncio.create_task(self._stop.wait())
            await asyncio.wait([waiting, stopping], return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if waiting.done() and waiting.exception() is not None:
                error = waiting.exception()
                text = error.message if isinstance(error, SfApiError) else str(error)
                self.widget_call("set_message", text, "error")
            elif not waiting.done():
                waiting.cancel()
            ended.set()
            started.set()
            while self._tails:  # a task picked meanwhile replaces the tails
                await asyncio.gather(*self._tails, return_exceptions=True)
                self._tails = [tail for tail in self._tails if not tail.done()]
            if frames is not None:
                await asyncio.gather(frames, return_exceptions=True)
            self._show()
            if job.is_terminal and not self._is_array():
                await self._show_cost()
                api_url, machine = job.machine.client.api_base_url, job.machine.name
                await asyncio.to_thread(
                    job_records().set_state, api_url, machine, job.jobid, job.state.value
                )
        finally:
            unsubscribe()
            if job.is_terminal:
                call(self.save_summary)

    def _watch_frames(self) -> asyncio.Task[None] | None:
        """The frames the job writes (``--watch``), looked for while it runs: see .frames."""
        if self.frames is None:
            return None
        job, record = self.job, self.record
        return asyncio.create_task(
            self.frames.run(
                lambda: job_directory(job, record),
                self._started,
                self._ended,
                lambda: job.is_terminal,
                lambda: job.info.start_time if job.info is not None else None,
            )
        )

    async def _tail(self, path: str, stream: str, follow: bool = True) -> None:
        await self._started.wait()
        try:
            await self.follow_file(
                self.job.machine,
                path,
                lambda text: self.widget_call("append_output", text, stream),
                stop=self._ended,
                follow=follow,
            )
        except NotFoundError:
            machine = self.job.machine.name
            text = f"No output: {path} does not exist on {machine} (never written, or removed)."
            self.widget_call("set_message", text, "warning")
        except SfApiError as exc:
            self.widget_call("set_message", f"Cannot read {path}: {exc.message}", "warning")


# -- job cards ----------------------------------------------------------------------------------
def job_card(
    job_or_id: Job | AsyncJob | str | int,
    machine: str | Machine | None = None,
    client: Client | None = None,
    *,
    watch: str | None = None,
) -> JobCard:
    """A live ``JobCard`` of a job: state, array tasks, and its stdout/stderr as written.

    Parameters
    ----------
    job_or_id
        A job handle, or a job id on ``machine``.
    machine
        The machine's name (default :func:`~sfapi_jupyter.notebook.session.default_machine`).
    client
        The client (default :func:`~sfapi_jupyter.notebook.session.get_client`).
    watch
        A file pattern such as ``'out/iter_*.npy'`` (relative to the job's working
        directory): each new PNG, JPEG or ``.npy`` file matching it is shown in the card as
        the job writes it (docs/widgets/job-card.md, "Live frames").

    Returns
    -------
    JobCard
        Kept up to date until the job has ended and its output has been read.

    Raises
    ------
    ValueError
        ``job_or_id`` is not a job id, or ``watch`` is not a pattern frames can follow.
    NotFoundError
        The machine does not know the job.

    Examples
    --------
    >>> card = job_card(12345, "perlmutter")                     # doctest: +SKIP
    """
    if isinstance(job_or_id, Job) and client is None and machine is None:
        client, machine = job_or_id.client, job_or_id.machine
    if watch is not None:
        watch = check_watch_pattern(watch)
    client, handle = resolve_machine(client, machine)
    job = as_job(job_or_id, handle)
    record = job_records().get(client.aio.api_base_url, handle.name, job.jobid)
    return start_card(client, job, record, watch=watch)


def array_script(script: str, indices: list[str]) -> str:
    """``script`` as an array of only ``indices``: its own ``--array``/``-a`` lines dropped and
    ``#SBATCH --array=1,5,9`` after its last directive (sbatch takes the last one given)."""
    lines = [line for line in script.splitlines() if not _ARRAY_LINE.match(line)]
    last = 0
    for number, line in enumerate(lines):
        if line.startswith("#SBATCH"):
            last = number + 1
        elif line.strip() and not line.startswith("#"):
            break  # sbatch reads no directive after the first command
    last = last or (1 if lines and lines[0].startswith("#!") else 0)
    lines.insert(last, f"#SBATCH --array={','.join(indices)}")
    return "\n".join(lines) + "\n"


_ARRAY_LINE = re.compile(r"^#SBATCH\s+(?:--array(?:=|\s+)|-a\s*)\S+\s*(?:#.*)?$")


def start_card(
    client: Client,
    job: Job,
    record: JobRecord | None,
    *,
    script: str | None = None,
    args: list[str] | None = None,
    watch: str | None = None,
) -> JobCard:
    info = job.info
    array = (record.array if record else None) or (info.array_task_id if info else None)
    card = JobCard(
        jobid=job.jobid, machine=job.aio.machine.name, name=job.name or "", array=bool(array)
    )
    paths = output_paths(job.aio, record)
    card.set_output_paths(paths[0] or "", paths[1] or "")
    if info is not None:
        card.set_job(info)
    if watch:
        card.set_watch(watch)
    feed = CardFeed(
        client, card, job.aio, paths, record=record, script=script, args=args, watch=watch
    )
    feed.start()
    return card
