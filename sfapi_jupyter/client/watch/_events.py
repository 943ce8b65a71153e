"""The events a :class:`~sfapi_jupyter.client.watch.JobWatcher` hands its subscribers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ..models import JobState
from ..resources.jobs import AsyncJob


@dataclass(frozen=True)
class JobEvent:
    """A watched job changed state (``old`` is UNKNOWN when it is first seen)."""

    jobid: str
    old: JobState
    new: JobState
    job: AsyncJob

    @property
    def is_terminal(self) -> bool:
        return self.new.is_terminal


class JobEventStream:
    """Events as they happen, as an async iterator (made by ``JobWatcher.events``).

    Following given jobs, it ends once all of them have ended (or failed to be watched);
    otherwise it runs until :meth:`close` or until the watcher stops.
    """

    def __init__(
        self,
        jobids: set[str] | None,
        is_done: Callable[[str], bool],
        on_close: Callable[[JobEventStream], None],
    ) -> None:
        self.jobids = jobids
        self._is_done = is_done
        self._on_close = on_close
        self._queue: asyncio.Queue[JobEvent | None] = asyncio.Queue()
        self._closed = False

    def offer(self, event: JobEvent | None) -> None:
        """Queue ``event`` if it is one this stream follows (None: look again if done)."""
        if event is None or self.jobids is None or event.jobid in self.jobids:
            self._queue.put_nowait(event)

    def _finished(self) -> bool:
        if self._closed:
            return True
        return self.jobids is not None and all(map(self._is_done, self.jobids))

    def close(self) -> None:
        """Stop receiving events (the iteration ends after what is already queued)."""
        if not self._closed:
            self._closed = True
            self._on_close(self)
            self._queue.put_nowait(None)

    def __aiter__(self) -> JobEventStream:
        return self

    async def __anext__(self) -> JobEvent:
        while True:
            if self._queue.empty() and self._finished():
                self.close()
                raise StopAsyncIteration
            event = await self._queue.get()
            if event is not None:
                return event
