"""``/meta``: the API's changelog and configuration. No token needed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from ..deps import FacilityDep

router = APIRouter(prefix="/meta", tags=["meta"])


@router.get("/changelog")
def get_changelog(facility: FacilityDep) -> list[dict[str, Any]]:
    """Changes to the API, newest first."""
    return facility.store.list_changelog()


@router.get("/config")
def get_config(facility: FacilityDep) -> list[dict[str, Any]]:
    """The API's configuration keys (includes ``compute.targets``)."""
    return facility.store.list_config()
