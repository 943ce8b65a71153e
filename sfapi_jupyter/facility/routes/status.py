"""``/status``: resources, notes, outages (current and planned). No token needed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, HTTPException

from ..deps import FacilityDep

router = APIRouter(tags=["status"])


def outage_view(doc: dict[str, Any], now: dt.datetime) -> dict[str, Any]:
    """An outage as the API shows it; its status follows from the clock unless an admin set one."""
    view = dict(doc)
    if not view.get("status"):
        start = dt.datetime.fromisoformat(doc["start_at"])
        end = dt.datetime.fromisoformat(doc["end_at"]) if doc.get("end_at") else None
        if start > now:
            view["status"] = "Planned"
        elif end is None or end > now:
            view["status"] = "Active"
        else:
            view["status"] = "Completed"
    return view


def _is_planned(doc: dict[str, Any], now: dt.datetime) -> bool:
    return dt.datetime.fromisoformat(doc["start_at"]) > now


def _grouped(facility: FacilityDep, planned: bool) -> list[list[dict[str, Any]]]:
    now = dt.datetime.now(dt.timezone.utc)
    groups: dict[str, list[dict[str, Any]]] = {}
    for _, doc in facility.store.list_outages():
        if _is_planned(doc, now) == planned:
            groups.setdefault(doc["name"], []).append(outage_view(doc, now))
    return list(groups.values())


def _for_resource(facility: FacilityDep, name: str, planned: bool) -> list[dict[str, Any]]:
    now = dt.datetime.now(dt.timezone.utc)
    return [
        outage_view(doc, now)
        for _, doc in facility.store.list_outages(name)
        if _is_planned(doc, now) == planned
    ]


@router.get("/status", include_in_schema=False)
@router.get("/status/")
def get_statuses(facility: FacilityDep) -> list[dict[str, Any]]:
    """Status of every resource."""
    return facility.store.list_resources()


@router.get("/status/notes")
def get_notes(facility: FacilityDep) -> list[list[dict[str, Any]]]:
    """Notes, one list per resource."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for note in facility.store.list_notes():
        groups.setdefault(note["name"], []).append(note)
    return list(groups.values())


@router.get("/status/notes/{name}")
def get_notes_for(name: str, facility: FacilityDep) -> list[dict[str, Any]]:
    """Notes of one resource."""
    return facility.store.list_notes(name)


@router.get("/status/outages")
def get_outages(facility: FacilityDep) -> list[list[dict[str, Any]]]:
    """Current and past outages, one list per resource."""
    return _grouped(facility, planned=False)


@router.get("/status/outages/planned")
def get_planned_outages(facility: FacilityDep) -> list[list[dict[str, Any]]]:
    """Planned outages, one list per resource."""
    return _grouped(facility, planned=True)


@router.get("/status/outages/planned/{name}")
def get_planned_outages_for(name: str, facility: FacilityDep) -> list[dict[str, Any]]:
    """Planned outages of one resource."""
    return _for_resource(facility, name, planned=True)


@router.get("/status/outages/{name}")
def get_outages_for(name: str, facility: FacilityDep) -> list[dict[str, Any]]:
    """Current and past outages of one resource."""
    return _for_resource(facility, name, planned=False)


@router.get("/status/{name}")
def get_status(name: str, facility: FacilityDep) -> dict[str, Any]:
    """Status of one resource."""
    doc = facility.store.get_resource(name)
    if doc is None:
        raise HTTPException(404, f"Not found: no resource named {name!r}")
    return doc
