"""Status of resources, outages, notes and the API's changelog."""

from __future__ import annotations

import datetime as dt
from enum import Enum

from ._base import Model


class StatusValue(str, Enum):
    active = "active"
    degraded = "degraded"
    unavailable = "unavailable"
    other = "other"


class Status(Model):
    """One resource's status, e.g. ``perlmutter`` ``active``."""

    name: str
    full_name: str | None = None
    description: str | None = None
    system_type: str | None = None
    notes: list[str] = []
    status: StatusValue
    updated_at: dt.datetime | None = None

    @property
    def is_up(self) -> bool:
        """Usable: active or degraded."""
        return self.status in (StatusValue.active, StatusValue.degraded)


class Outage(Model):
    name: str
    start_at: dt.datetime | None = None
    end_at: dt.datetime | None = None
    description: str | None = None
    notes: str | None = None
    status: str | None = None
    swo: str | None = None
    update_at: dt.datetime | None = None

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether the outage intersects ``[start, end)`` (times must be timezone-aware)."""
        if self.start_at is None:
            return False
        outage_end = self.end_at or dt.datetime.max.replace(tzinfo=dt.timezone.utc)
        return self.start_at < end and start < outage_end


class Note(Model):
    name: str
    notes: str | None = None
    active: bool = False
    timestamp: dt.datetime | None = None


class Change(Model):
    date: dt.date | None = None
    change: str | None = None
