"""The local facility: a server that speaks NERSC's Superfacility API v1.2.

Demos, Binder and every test of ``sfapi_jupyter`` run against it. Start one with
``sfapi-jupyter facility serve`` or, from Python, :class:`LocalFacility`.
"""

from .config import FacilityConfig, FaultConfig
from .core import Facility

__all__ = ["Facility", "FacilityConfig", "FaultConfig", "create_app"]


def __getattr__(name: str) -> object:
    # FastAPI is an optional dependency: import the app only when asked for.
    if name == "create_app":
        from .app import create_app

        return create_app
    if name == "LocalFacility":
        from .server import LocalFacility

        return LocalFacility
    raise AttributeError(name)
