"""``create_app``: the local facility as a FastAPI application."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from .bodies import BodyGuard, form_body_limit
from .config import API_PREFIX, FacilityConfig
from .core import Facility
from .faults import FaultInjectionMiddleware
from .routes import account, compute, meta, status, storage, tasks, token, utilities


def create_app(facility: Facility | FacilityConfig | None = None) -> FastAPI:
    """A FastAPI app serving SF API v1.2 under ``/api/v1.2`` and tokens at ``/c2id/token``.

    Pass a :class:`Facility` to share it with other code (tests, the CLI), a
    :class:`FacilityConfig`, or nothing for the default state directory.

    >>> from sfapi_jupyter.facility import FacilityConfig, create_app
    >>> app = create_app(FacilityConfig(state_dir="/tmp/doc-facility"))
    >>> app.title
    'Superfacility API (local facility)'
    """
    if not isinstance(facility, Facility):
        facility = Facility(facility)
    owned = facility

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await owned.startup()
        try:
            yield
        finally:
            await owned.shutdown()

    options: dict[str, Any] = {}
    if "form_limits" in inspect.signature(FastAPI).parameters:
        # A form field may carry a whole batch script (percent-encoded, up to 3 bytes for
        # one): Starlette's default of 1 MiB would refuse scripts Slurm accepts. Older
        # FastAPI versions keep that default; BodyGuard bounds the body either way.
        options["form_limits"] = {"max_part_size": form_body_limit(facility.config)}
    app = FastAPI(
        title="Superfacility API (local facility)",
        version="1.2",
        lifespan=lifespan,
        redirect_slashes=False,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/",
        **options,
    )
    app.state.facility = facility
    for module in (status, meta, account, compute, utilities, tasks, storage):
        app.include_router(module.router, prefix=API_PREFIX)
    app.include_router(token.router)
    faults = facility.config.faults
    if faults is not None and faults.rate > 0:
        app.state.injected_faults = []
        app.add_middleware(
            FaultInjectionMiddleware,
            config=faults,
            prefix=API_PREFIX,
            injected=app.state.injected_faults,
        )
    # Outermost: a body is bounded, and its sender checked, before anything reads it.
    app.add_middleware(BodyGuard, facility=facility)
    return app
