"""The client's groups against the real facility: look one up, create one in a project, add
and remove members (``PUT /account/groups/{g}`` with ``batch_add``/``batch_remove``), and the
typed errors a refusal becomes."""

from __future__ import annotations

import pytest

from sfapi_jupyter.client import (
    AsyncGroup,
    ConflictError,
    Group,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)

from ..support.facility import make_async_client, make_client


async def test_create_add_remove_and_look_up(served, aclient) -> None:
    for user in ("priscilla", "lisa"):
        served.create_client(user)
    project = (await aclient.projects())[0]

    band = await aclient.create_group("band", project)
    assert isinstance(band, AsyncGroup)
    assert band.name == "band" and band.member_names == ["elvis"]
    assert band.gid == (await aclient.group("band")).gid

    await band.add(["priscilla", "lisa"])
    assert sorted(band.member_names) == ["elvis", "lisa", "priscilla"]
    await band.remove("lisa")  # one name or a list
    assert sorted(band.member_names) == ["elvis", "priscilla"]

    fetched = await aclient.group("band")
    assert sorted(m.name for m in fetched.members) == ["elvis", "priscilla"]
    assert "band" in {g.name for g in await aclient.groups()}


def test_the_blocking_client_has_the_same_calls(facility, client) -> None:
    facility.create_client("priscilla")
    repo = client.projects()[0].repo_name
    band = client.create_group("band", repo)
    assert isinstance(band, Group) and band.member_names == ["elvis"]
    assert band.add("priscilla") is band
    assert sorted(client.group("band").member_names) == ["elvis", "priscilla"]
    band.remove(["priscilla"])
    assert band.refresh().member_names == ["elvis"]


async def test_refusals_are_typed_errors_that_say_why(served, aclient) -> None:
    project = (await aclient.projects())[0].repo_name
    await aclient.create_group("band", project)
    with pytest.raises(ConflictError, match="already the name of group 'band'"):
        await aclient.create_group("band", project)
    with pytest.raises(ConflictError, match="already the name of user 'elvis'"):
        await aclient.create_group("elvis", project)
    with pytest.raises(NotFoundError, match="no group 'nosuch'"):
        await aclient.group("nosuch")
    with pytest.raises(ValidationError, match="No such user"):
        await (await aclient.group("band")).add("nobody")
    with pytest.raises(ValueError, match="at most 8 ASCII"):
        await aclient.create_group("ninechars", project)
    with pytest.raises(ValueError, match="users must be user names"):
        await (await aclient.group("band")).add([])

    served.create_client("mallory")
    theirs = served.facility.accounts.get_user("mallory").projects[0]
    with pytest.raises(PermissionDeniedError, match="not a member of project"):
        await aclient.create_group("squat", theirs)
    async with make_async_client(served, served.create_client("mallory")) as mallory:
        band = await mallory.group("band")  # anyone may read a group
        with pytest.raises(PermissionDeniedError, match="only its owner"):
            await band.add("mallory")
    assert (await aclient.group("band")).member_names == ["elvis"]


def test_a_project_member_cannot_change_the_project_group_its_pi_can(facility) -> None:
    pi = facility.create_client("alice", projects=["m7001"])
    member = facility.create_client("bob", projects=["m7001"])
    facility.create_client("carol")
    with make_client(facility, member) as bob, make_client(facility, pi) as alice:
        with pytest.raises(PermissionDeniedError, match="PI of project 'm7001'"):
            bob.group("m7001").remove("alice")
        with pytest.raises(PermissionDeniedError):
            bob.group("m7001").add("carol")
        assert sorted(alice.group("m7001").member_names) == ["alice", "bob"]
        alice.group("m7001").add("carol")
        assert sorted(bob.group("m7001").member_names) == ["alice", "bob", "carol"]
