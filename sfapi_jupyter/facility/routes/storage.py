"""``/storage/globus/transfer``: Globus-shaped transfers (the copying is :mod:`..transfers`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException

from ..deps import CurrentIdentity, FacilityDep, WriterIdentity

router = APIRouter(prefix="/storage", tags=["storage"])


@router.post("/globus/transfer")
async def start_transfer(
    identity: WriterIdentity,
    facility: FacilityDep,
    source_uuid: Annotated[str, Form()],
    target_uuid: Annotated[str, Form()],
    source_dir: Annotated[str, Form()],
    target_dir: Annotated[str, Form()],
    label: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    """Start copying ``source_dir`` (a file or directory) into ``target_dir``."""
    return await facility.transfers.start(
        identity.user, source_uuid, target_uuid, source_dir, target_dir, label
    )


@router.get("/globus/transfer/{transfer_id}")
def get_transfer(
    transfer_id: str, identity: CurrentIdentity, facility: FacilityDep
) -> dict[str, Any]:
    """Status of a transfer."""
    doc = facility.transfers.status(transfer_id, identity.user.name)
    if doc is None:
        raise HTTPException(404, f"Not found: no transfer {transfer_id}")
    return doc
