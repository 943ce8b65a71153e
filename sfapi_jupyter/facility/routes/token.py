"""The OAuth token endpoint (Connect2id's ``/c2id/token`` at NERSC)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..auth import OAuthError
from ..deps import FacilityDep, client_address

router = APIRouter(tags=["auth"])


@router.post("/c2id/token")
async def token(request: Request, facility: FacilityDep) -> JSONResponse:
    """Exchange a ``private_key_jwt`` client assertion for an access token."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    token_url = str(request.url.replace(query=""))
    try:
        body = facility.tokens.exchange(fields, token_url, client_address(request))
    except OAuthError as exc:
        return JSONResponse(
            {"error": exc.error, "error_description": exc.description},
            status_code=exc.status_code,
        )
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
