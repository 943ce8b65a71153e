"""Job watchers: one shared poller per client and machine.

However many jobs are watched, one tick costs one batched squeue request
(``kwargs=jobid=a,b,c``; ``cached=false`` only while a job is fresh from submit) plus one
sacct request for the jobs that have left the queue, and nothing for jobs already ended.
(Above :data:`MAX_IDS_PER_REQUEST` watched jobs the id list is split, so that URLs stay
under the 8 KB proxies allow.)

The interval adapts: ``min_interval`` right after a submit, around state changes and while a
job is missing, growing by ``backoff`` while nothing changes, never above ``max_interval``.
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
