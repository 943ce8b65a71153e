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
        status = ("status", "outages", "planned_outages", "notes")
        account = ("user", "projects", "roles", "groups", "group", "create_group", "clients")
        tasks = ("task", "tasks", "wait_task", "cancel_task", "transfer", "transfer_status")
        for method in (*status, *account, *tasks, "compute"):
            assert callable(getattr(cls, method)), (cls, method)
    from sfapi_jupyter.client import AsyncJob, AsyncMachine, Job, Machine

    for cls in (AsyncMachine, Machine):
        for method in ("submit", "job", "jobs", "run", "tail"):
            assert callable(getattr(cls, method)), (cls, method)
        assert isinstance(cls.files, property), cls
    from sfapi_jupyter.client.resources.files import AsyncFiles, Files

    for cls in (AsyncFiles, Files):
        for method in ("ls", "download", "upload"):
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


@pytest.mark.parametrize("name", ["ls", "download", "upload"])
def test_a_files_call_on_the_machine_says_it_moved_to_machine_files(name):
    from sfapi_jupyter.client import Client

    with Client(anonymous=True) as client:
        for machine in (client.compute("perlmutter"), client.aio.compute("perlmutter")):
            with pytest.raises(AttributeError, match=rf"call machine\.files\.{name}\(") as caught:
                getattr(machine, name)
            assert caught.value.name == name
            assert hasattr(machine.files, name)


def test_an_unknown_attribute_of_a_machine_is_a_plain_attribute_error():
    from sfapi_jupyter.client import Client

    with Client(anonymous=True) as client:
        machine = client.compute("perlmutter")
        with pytest.raises(AttributeError, match="'Machine' object has no attribute 'bogus'"):
            machine.bogus  # noqa: B018
        assert not hasattr(machine.aio, "_repr_html_")
