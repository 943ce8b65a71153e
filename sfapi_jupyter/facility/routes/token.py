"""The OAuth token endpoint (Connect2id's ``/c2id/token`` at NERSC)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..auth import OAuthError, expected_token_urls
from ..deps import FacilityDep, client_address

router = APIRouter(tags=["auth"])


@router.post("/c2id/token")
async def token(request: Request, facility: FacilityDep) -> JSONResponse:
    """Exchange a ``private_key_jwt`` client assertion for an access token."""
    form = await request.form()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    # Never from the Host header: the configured public URL or the listening address.
    token_urls = expected_token_urls(
        facility.config, request.scope.get("scheme", "http"), request.scope.get("server")
    )
    try:
        body = facility.tokens.exchange(fields, token_urls, client_address(request))
    except OAuthError as exc:
        return JSONResponse(
            {"error": exc.error, "error_description": exc.description},
            status_code=exc.status_code,
        )
    return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
