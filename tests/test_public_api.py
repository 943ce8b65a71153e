"""The public surface: names other tools depend on exist, and ``__all__`` stays sorted."""

from __future__ import annotations

import importlib

import pytest

MODULES = [
    "sfapi_jupyter",
    "sfapi_jupyter.client",
    "sfapi_jupyter.facility",
    "sfapi_jupyter.notebook",
    "sfapi_jupyter.widgets",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_is_sorted_and_importable(name):
    module = importlib.import_module(name)
    exported = list(module.__all__)
    assert exported == sorted(exported, key=lambda s: (not s.isupper(), s))
    for attr in exported:
        assert getattr(module, attr) is not None, attr


def test_fixed_names():
    from sfapi_jupyter import AsyncClient, Client

    for cls in (AsyncClient, Client):
        for method in ("status", "outages", "planned_outages", "notes", "user", "projects",
                       "roles", "groups", "group", "create_group", "clients",
                       "compute"):  # fmt: skip
            assert callable(getattr(cls, method)), (cls, method)
    from sfapi_jupyter.client import AsyncJob, AsyncMachine, Job, Machine

    for cls in (AsyncMachine, Machine):
        for method in ("submit", "job", "jobs", "ls", "download", "upload", "run"):
            assert callable(getattr(cls, method)), (cls, method)
    for cls in (AsyncJob, Job):
        for method in ("wait", "cancel", "refresh"):
            assert callable(getattr(cls, method)), (cls, method)
    from sfapi_jupyter.client import AsyncGroup, ConflictError, Group, SfApiError

    for cls in (AsyncGroup, Group):
        for method in ("add", "remove", "refresh"):
            assert callable(getattr(cls, method)), (cls, method)
        for attribute in ("name", "gid", "members"):
            assert isinstance(getattr(cls, attribute), property), (cls, attribute)
    assert issubclass(ConflictError, SfApiError)
