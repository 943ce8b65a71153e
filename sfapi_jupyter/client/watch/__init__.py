"""Job watchers: one shared poller per client and machine.

However many jobs are watched, one tick costs one batched sacct request
(``sacct=true&kwargs=jobid=a,b,c``; ``cached=false`` only while a job is fresh from submit):
sacct reports pending, running and ended jobs alike, so no squeue request is needed, and
jobs already ended cost nothing. The request is shared with concurrent ``machine.job()``
look-ups and post-submit looks (:meth:`AsyncMachine.sacct_rows`). (Above
``MAX_IDS_PER_REQUEST`` watched jobs the id list is split, so that URLs stay under the
8 KB proxies allow.)

The interval follows what is changing: ``min_interval`` right after a submit and while a job
is missing, ``steady_interval`` after a tick that saw a state change, growing by ``backoff``
while nothing changes, never above ``max_interval``.
A job missing from both squeue and sacct is given ``grace`` seconds to show up (the API's
cache can lag) before :class:`~sfapi_jupyter.client.NotFoundError` is raised to its waiters.
Polling stops for a job at every terminal state (COMPLETED, FAILED, TIMEOUT,
``CANCELLED by …``, NODE_FAIL, BOOT_FAIL, DEADLINE, OUT_OF_MEMORY, PREEMPTED, …); an array
ends when all its tasks have. When the API fails, the watcher backs off and keeps trying;
errors that retrying cannot cure (401, 403, 422), or failures lasting ``give_up_after``
seconds, are raised to every waiter instead of leaving them hanging.

Subscribers get :class:`JobEvent` s through callbacks (:meth:`JobWatcher.subscribe`, run on
the client's event loop) or an async iterator (:meth:`JobWatcher.events`).
"""

from ._entries import aggregate_state
from ._events import JobEvent, JobEventStream
from ._watcher import JobWatcher

__all__ = ["JobEvent", "JobEventStream", "JobWatcher", "aggregate_state"]
