"""FastAPI dependencies: the facility, the caller's identity and the write check."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from .auth import Identity, TokenError
from .core import Facility


class Machine(str, Enum):
    """SF API v1.2's ``PublicHost``: any other machine name is a 422."""

    perlmutter = "perlmutter"
    dtns = "dtns"
    dtn01 = "dtn01"


def get_facility(request: Request) -> Facility:
    facility: Facility = request.app.state.facility
    return facility


FacilityDep = Annotated[Facility, Depends(get_facility)]


#: Headers through which a proxy names the client it forwards for.
FORWARDED_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")


def client_address(request: Request) -> str | None:
    """The caller's address for a client's IP-range check; None when it cannot be known.

    A server told to trust a proxy (``trusted_proxies``) has already put the forwarded
    address here. Without one, a request that names a forwarded address gets None: either
    a client is lying about where it is, or a proxy nobody trusts stands in between, and
    uvicorn run with its defaults would have believed the header from 127.0.0.1.
    """
    facility: Facility = request.app.state.facility
    if not facility.config.trusted_proxies and any(h in request.headers for h in FORWARDED_HEADERS):
        return None
    return request.client.host if request.client else None


#: Where :class:`~.bodies.BodyGuard` leaves the identity it checked before the body was read.
IDENTITY_KEY = "sfapi_identity"


def get_identity(request: Request, facility: FacilityDep) -> Identity:
    checked = request.scope.get("state", {}).get(IDENTITY_KEY)
    if isinstance(checked, Identity):
        return checked
    try:
        return facility.tokens.identify(
            request.headers.get("authorization"), client_address(request)
        )
    except TokenError as exc:
        headers = (
            {"WWW-Authenticate": 'Bearer error="invalid_token"'} if exc.status_code == 401 else None
        )
        raise HTTPException(exc.status_code, exc.description, headers=headers) from None


CurrentIdentity = Annotated[Identity, Depends(get_identity)]


def get_writer(identity: CurrentIdentity) -> Identity:
    if not identity.can_write:
        raise HTTPException(
            403,
            f"This API client ({identity.level}) may only read. Submitting jobs, running "
            "commands, uploading and changing groups need a red client: create one "
            "(`sfapi-jupyter facility client create --level red`, or in Iris at NERSC).",
        )
    return identity


WriterIdentity = Annotated[Identity, Depends(get_writer)]
