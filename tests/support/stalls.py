"""Watching that a facility keeps answering everyone while one user misbehaves."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import httpx

#: A bystander's ``GET /status`` must answer within this while an attack runs. Generous on
#: purpose (the facility answers in milliseconds; the stalls it guards against were 20+ s):
#: it is a bound on being frozen, not a benchmark.
STATUS_BOUND = 5.0


class StatusProbe:
    """Another user's ``GET /status/perlmutter``, asked again and again in a thread.

    ``worst`` is the slowest answer seen (a request that got no answer within 30 s counts
    as 30 s), ``answers`` how many came back.
    """

    def __init__(self, api_url: str, interval: float = 0.2) -> None:
        self._url = api_url + "/status/perlmutter"
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="status-probe", daemon=True)
        self.worst = 0.0
        self.answers = 0

    def _run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    http.get(self._url).raise_for_status()
                    self.answers += 1
                except httpx.HTTPError:
                    pass
                self.worst = max(self.worst, time.monotonic() - started)
                self._stop.wait(self._interval)

    def __enter__(self) -> StatusProbe:
        self._thread.start()
        deadline = time.monotonic() + 30
        while self.answers == 0 and time.monotonic() < deadline:  # answering before the attack
            time.sleep(0.01)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join(40)

    def check(self) -> None:
        assert self.answers > 0, "the bystander's GET /status never answered"
        assert self.worst < STATUS_BOUND, (
            f"a bystander's GET /status took {self.worst:.1f} s while the attack ran "
            f"(bound {STATUS_BOUND} s): one user froze the facility for everyone"
        )
