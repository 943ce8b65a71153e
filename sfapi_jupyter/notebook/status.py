"""Facility status: a live ``StatusBoard``, and outages as a DataFrame.

Status is public: these work with no key at all, and with a broken one (a key file that
cannot be used, or a key the token endpoint refuses), saying so once.

:func:`status_board` is what ``%sfstatus`` shows and :func:`outage_table` what
``%sfoutages`` returns.

A refresh of the board is one request, ``GET /status``: it carries every resource's status
and its notes. Outages change far less often (planned ones are announced days ahead), so
they and the notes (``/status/notes``, its active ones) are read with the first look, then
every ``OUTAGE_EVERY`` refreshes and whenever a resource's status changes (three more
requests then); a planned outage becoming current needs no request (the board knows its
times).
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
import threading
from collections.abc import Iterable
from typing import Any

from ..client import Client, CredentialsError, SfApiError
from ..client.models.status import Note, Outage, Status
from ..widgets import StatusBoard
from ..widgets.support.mainthread import dispatcher
from ._common import say
from .controllers import Feed
from .session import get_client

log = logging.getLogger(__name__)

#: Seconds between refreshes of a visible board.
STATUS_INTERVAL = 60.0
#: Outages are read again every this many refreshes (and when a status changes).
OUTAGE_EVERY = 10
#: Days of planned outages on the board.
WINDOW_DAYS = 14

_anonymous_lock = threading.Lock()
_anonymous: Client | None = None


def public_client(client: Client | None = None) -> Client:
    """``client``, else the session's, else (its key unusable) one without credentials.

    A key that is there but cannot be used (too widely readable, malformed) is said once,
    and status is read without it.
    """
    global _anonymous
    if client is not None:
        return client
    try:
        return get_client()
    except CredentialsError as exc:
        with _anonymous_lock:
            if _anonymous is None:
                say(f"{exc.message}. Reading the public status without a key.", error=True)
                _anonymous = Client(anonymous=True)
            return _anonymous


def check_resources(names: Iterable[str], statuses: Iterable[Status]) -> list[str]:
    """``names`` if each is a resource of ``/status``; else ValueError with what is known."""
    known = [s.name for s in statuses]
    wanted = [n.strip() for n in names if n.strip()]
    for name in wanted:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise ValueError(
                f"There is no resource {name!r}; {hint}known resources: {', '.join(sorted(known))}"
            )
    return wanted


async def _slow_parts(client: Client) -> tuple[list[Outage], list[Note]]:
    """Outages (current and planned) and notes: what changes seldom."""
    current, planned, notes = await asyncio.gather(
        client.aio.outages(), client.aio.planned_outages(), client.aio.notes()
    )
    return [*current, *planned], list(notes)


async def _everything(client: Client) -> tuple[list[Status], list[Outage], list[Note]]:
    statuses, (outages, notes) = await asyncio.gather(client.aio.status(), _slow_parts(client))
    return list(statuses), outages, notes


class StatusFeed(Feed[StatusBoard]):
    """Refreshes a ``StatusBoard`` every ``board.interval`` seconds while a view shows it."""

    def __init__(self, client: Client, board: StatusBoard) -> None:
        super().__init__(client, board)
        self.wanted = False
        self.since_outages = 0
        self.refreshes = 0
        self._updated: dict[str, str] = {}
        self.answer("refresh", self._want)

    def __repr__(self) -> str:
        return f"<StatusFeed {self.client.aio.api_base_url}>"

    def _want(self) -> None:
        self.wanted = True

    def remember(self, statuses: Iterable[Status]) -> None:
        self._updated = {s.name: f"{s.status.value} {s.updated_at}" for s in statuses}

    async def refresh(self) -> None:
        """One refresh: ``GET /status``; outages too when due or when a status changed."""
        aio = self.client.aio
        statuses = list(await aio.status())
        self.refreshes += 1
        updated = {s.name: f"{s.status.value} {s.updated_at}" for s in statuses}
        changed = updated != self._updated
        self._updated = updated
        self.since_outages += 1
        outages: list[Outage] | None = None
        notes: list[Note] | None = None
        if changed or self.since_outages >= OUTAGE_EVERY:
            outages, notes = await _slow_parts(self.client)
            self.since_outages = 0
        self.widget_call("update", statuses, outages, notes)

    async def run(self) -> None:
        assert self._stop is not None
        loop = asyncio.get_running_loop()
        last = loop.time()
        while not self._stop.is_set():
            board = self.widget
            if board is None:
                return
            interval = max(float(board.interval), 0.5)
            due = board.visible and loop.time() - last >= interval
            if due or self.wanted:
                self.wanted = False
                last = loop.time()
                try:
                    await self.refresh()
                except SfApiError as exc:
                    log.warning("status refresh failed: %s", exc)
                    self.widget_call("set_error", f"Could not refresh: {exc.message}")
            del board  # hold the widget only weakly between ticks
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._stop.wait(), min(1.0, interval / 4))


def status_board(
    *resources: str,
    client: Client | None = None,
    interval: float = STATUS_INTERVAL,
    window_days: int = WINDOW_DAYS,
) -> StatusBoard:
    """A live ``StatusBoard``: every resource (or only ``resources``), grouped as NERSC does.

    Each resource shows its status in colour, its notes and current outages; a timeline
    shows the outages planned for the next ``window_days`` days. While a view of the board
    is on screen it is refreshed every ``interval`` seconds (one ``GET /status``), and what
    changed since the last look stays marked until marked seen.

    Parameters
    ----------
    resources
        Names from ``/status`` (``perlmutter``, ``dtns``, ``global_homes``, ...).
    client
        Default: the session's; with no usable key, status is read without one.
    interval
        Seconds between refreshes while the board is visible (default 60).

    Raises
    ------
    ValueError
        A name that is not a resource (the message lists the known ones).

    Examples
    --------
    >>> board = status_board("perlmutter", "dtns")             # doctest: +SKIP
    >>> board.status_of("perlmutter")                          # doctest: +SKIP
    'active'
    """
    if not interval or interval <= 0:
        raise ValueError(f"interval takes a number of seconds above 0, not {interval!r}")
    dispatcher().bind()
    client = public_client(client)
    statuses, outages, notes = client.run_coroutine(_everything(client))
    only = check_resources(resources, statuses)
    board = StatusBoard(only=only, interval=interval, window_days=window_days)
    board.update(statuses, outages, notes)
    if client.aio.key_refused:
        board.notice = (
            "Your API key was refused by the token endpoint, so this board is read without "
            "it (status is public). Check the client in Iris: it may have expired or been "
            "revoked."
        )
    feed = StatusFeed(client, board)
    feed.remember(statuses)
    feed.start()
    return board


OUTAGE_COLUMNS = ["resource", "status", "start", "end", "description", "notes", "swo", "updated"]


def outage_table(*resources: str, planned: bool = False, client: Client | None = None) -> Any:
    """Outages as a pandas DataFrame: current and past ones, or with ``planned=True`` the
    planned ones; of every resource or only of ``resources``. Sorted by start time.

    Columns: resource, status, start, end, description, notes, swo, updated (times as the
    facility gives them, with their offset).

    Raises
    ------
    ValueError
        A name that is not a resource.

    Examples
    --------
    >>> outage_table("perlmutter", planned=True)             # doctest: +SKIP
    """
    import pandas as pd

    client = public_client(client)

    async def read() -> tuple[list[Status], list[Outage]]:
        statuses, found = await asyncio.gather(
            client.aio.status(),
            client.aio.planned_outages() if planned else client.aio.outages(),
        )
        return list(statuses), list(found)

    statuses, outages = client.run_coroutine(read())
    wanted = set(check_resources(resources, statuses))
    rows = [
        {
            "resource": o.name,
            "status": o.status or "",
            "start": o.start_at,
            "end": o.end_at,
            "description": o.description or "",
            "notes": o.notes or "",
            "swo": o.swo or "",
            "updated": o.update_at,
        }
        for o in outages
        if not wanted or o.name in wanted
    ]
    frame = pd.DataFrame(rows, columns=OUTAGE_COLUMNS)
    if len(frame):
        frame = frame.sort_values(["start", "resource"], ignore_index=True)
    return frame
