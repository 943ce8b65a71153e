"""``/storage/globus/transfer``: Globus-shaped transfers between the facility's machines.

All machines of the local facility share one file system (as NERSC's global file systems
do), so a transfer is a real copy in the background with Globus's status, byte count and
rate. Endpoints are the NERSC shortcuts (``dtn``, ``perlmutter``, ``dtns``, ``dtn01``) or
the UUIDs of the facility's collections listed in the API's config.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException

from ..backends.base import FacilityUser
from ..config import FacilityConfig
from ..core import Facility
from ..deps import CurrentIdentity, FacilityDep, WriterIdentity
from ..paths import PathDenied, absolute_remote_path, check_access, resolve_user_path

router = APIRouter(prefix="/storage", tags=["storage"])

ENDPOINTS = {"dtn", "dtns", "dtn01", "perlmutter"}
#: Stable collection UUIDs, so code written for real Globus UUIDs works here too.
COLLECTION_UUIDS = {
    str(uuid.uuid5(uuid.NAMESPACE_URL, f"sfapi-jupyter/{name}")): name for name in ENDPOINTS
}


def _endpoint(value: str) -> str | None:
    if value in ENDPOINTS:
        return value
    return COLLECTION_UUIDS.get(value)


def _copy(config: FacilityConfig, user: FacilityUser, source: Path, target_dir: Path) -> int:
    """Copy a file or a tree into ``target_dir``; return the bytes of the files copied.

    Every place written is checked again as it is reached: a symlink already in the target
    (``out/data -> /other/home``) must not carry the copy outside the user's reach. Symlinks
    in the source are copied as symlinks, never followed.
    """

    def writable(dest: Path) -> Path:
        try:
            check_access(config, user, Path(os.path.realpath(dest)), write=True)
        except PathDenied:
            raise PermissionError(errno.EACCES, "Permission denied", str(dest)) from None
        return dest

    writable(target_dir).mkdir(parents=True, exist_ok=True)
    dest_root = target_dir / source.name
    if not source.is_dir():
        shutil.copy2(source, writable(dest_root))
        return source.stat().st_size
    copied = 0
    for dirpath, dirnames, filenames in os.walk(source):
        out_dir = writable(dest_root / Path(dirpath).relative_to(source))
        out_dir.mkdir(exist_ok=True)
        for name in [*dirnames, *filenames]:
            src, dst = Path(dirpath) / name, out_dir / name
            if src.is_symlink():
                if dst.is_symlink() or dst.is_file():
                    dst.unlink()
                os.symlink(os.readlink(src), dst)
            elif name in filenames:
                shutil.copy2(src, writable(dst))
                copied += src.stat().st_size
        shutil.copystat(dirpath, out_dir)
    return copied


async def _run_transfer(
    facility: Facility, transfer_id: str, user: FacilityUser, source: Path, target: Path
) -> None:
    doc = facility.store.get_transfer(transfer_id) or {}
    doc.pop("_user", None)
    started = time.monotonic()
    try:
        copied = await asyncio.to_thread(_copy, facility.config, user, source, target)
    except OSError as exc:
        doc.update(
            globus_status="FAILED", reason=f"{exc.strerror or exc}: {exc.filename or ''}".strip()
        )
    else:
        seconds = max(time.monotonic() - started, 1e-3)
        doc.update(
            globus_status="SUCCEEDED",
            bytes_transferred=copied,
            effective_bytes_per_second=int(copied / seconds),
            completion_time=dt.datetime.now(dt.timezone.utc).isoformat(),
        )
    facility.store.put_transfer(transfer_id, user.name, doc)


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
    for value in (source_uuid, target_uuid):
        if _endpoint(value) is None:
            return {
                "transfer_id": "",
                "status": "ERROR",
                "reason": f"Unknown endpoint {value!r}; use dtn, perlmutter or a collection UUID",
            }
    user = identity.user
    try:
        source = resolve_user_path(facility.config, user, source_dir, write=False)
    except PathDenied as exc:
        return {"transfer_id": "", "status": "ERROR", "reason": f"{source_dir}: {exc.reason}"}
    if not os.path.exists(source):
        return {
            "transfer_id": "",
            "status": "ERROR",
            "reason": f"{absolute_remote_path(user, source_dir)}: No such file or directory",
        }
    try:
        target = resolve_user_path(facility.config, user, target_dir, write=True)
    except PathDenied as exc:
        return {"transfer_id": "", "status": "ERROR", "reason": f"{target_dir}: {exc.reason}"}
    real_source, real_target = os.path.realpath(source), os.path.realpath(target)
    if source.is_dir() and (real_target + os.sep).startswith(real_source + os.sep):
        return {"transfer_id": "", "status": "ERROR", "reason": "target_dir is inside source_dir"}
    transfer_id = str(uuid.uuid4())
    facility.store.put_transfer(
        transfer_id,
        user.name,
        {
            "status": "OK",
            "reason": None,
            "globus_status": "ACTIVE",
            "bytes_transferred": 0,
            "completion_time": None,
            "effective_bytes_per_second": 0,
            "label": label or f"sfapi transfer {transfer_id[:8]}",
        },
    )
    facility.spawn(_run_transfer(facility, transfer_id, user, source, target))
    return {"transfer_id": transfer_id, "status": "OK", "reason": None}


@router.get("/globus/transfer/{transfer_id}")
def get_transfer(
    transfer_id: str, identity: CurrentIdentity, facility: FacilityDep
) -> dict[str, Any]:
    """Status of a transfer."""
    doc = facility.store.get_transfer(transfer_id)
    if doc is None or doc.pop("_user") != identity.user.name:
        raise HTTPException(404, f"Not found: no transfer {transfer_id}")
    doc.pop("label", None)
    return doc
