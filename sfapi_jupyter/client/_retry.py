"""The one retry policy: capped exponential backoff with full jitter, honouring Retry-After.

Retried: timeouts, connection errors, HTTP 429, 502, 503 and 504 — for requests that are
safe to repeat — and HTTP 500 as well for idempotent methods (GET, HEAD, PUT): a read or an
upload of the same bytes to the same path does the same thing twice, and a gateway's
500s are as often transient as its 502s. A request that is not safe to repeat (a submit)
is never repeated here; the submit path finds out itself whether the first attempt made a job.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Also retried for idempotent methods: an internal error while reading or writing in place.
IDEMPOTENT_RETRY_STATUSES = RETRY_STATUSES | {500}
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT"})


def retry_statuses(method: str) -> frozenset[int]:
    """The HTTP statuses worth another try of a ``method`` request."""
    return IDEMPOTENT_RETRY_STATUSES if method.upper() in IDEMPOTENT_METHODS else RETRY_STATUSES


@dataclass
class RetryPolicy:
    """How often and how long to retry.

    ``attempts`` counts every try (1 = no retry). The n-th delay is a random value in
    ``[0, min(cap, base * 2**n)]``, or the server's Retry-After when it sent one (capped).
    """

    attempts: int = 6
    base: float = 0.5
    cap: float = 10.0
    random: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None:
            return min(retry_after, self.cap)
        return self.random.uniform(0, min(self.cap, self.base * 2**attempt))


NO_RETRY = RetryPolicy(attempts=1)
