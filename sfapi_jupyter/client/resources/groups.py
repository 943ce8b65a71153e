"""Groups: ``/account/groups`` — look one up, create one in a project, add and remove members.

As NERSC's client has them (``client.group(name)``, ``Project.create_group(name)``,
``Group.add(users)``, ``Group.remove(users)``): a group belongs to a project, its name is at
most 8 ASCII characters (the API's documented limit), and users are changed in one request
(``PUT`` with ``batch_add``/``batch_remove``). Only a group's owner or its project's PI may
change it; the API says so with a :class:`PermissionDeniedError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import quote

from .._errors import ApiError, SfApiError, ValidationError
from ..models import Group as GroupInfo
from ..models import GroupMember, Project
from ._part import ClientPart, SyncPart

if TYPE_CHECKING:
    from .._client import AsyncClient
    from .._sync import Client

#: ``POST /account/groups``: "name (≤8 chars, ASCII)"; what else NERSC refuses is not published,
#: so the client checks only this and leaves the rest to the API.
MAX_GROUP_NAME = 8
_NAME = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]*")


def check_group_name(name: str) -> str:
    """``name`` if the API could take it as a group name; ValueError saying why not."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"a group name is a non-empty string, not {name!r}")
    if len(name) > MAX_GROUP_NAME or not name.isascii() or not _NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a group name the API takes: at most {MAX_GROUP_NAME} ASCII "
            "letters, digits, '_', '.' or '-' (not first)"
        )
    return name


def _user_names(users: str | Iterable[str]) -> list[str]:
    names = [users] if isinstance(users, str) else list(users)
    bad = [u for u in names if not isinstance(u, str) or not u.strip() or "," in u]
    if bad or not names:
        raise ValueError(
            f"users must be user names (a name or a list of names, no commas), not {users!r}"
        )
    return [u.strip() for u in names]


def _refused(exc: SfApiError, what: str) -> SfApiError:
    """A 400 from a group call is the request's fault: a ValidationError saying what."""
    if exc.status_code == 400:
        detail = exc.body.get("detail") if isinstance(exc.body, dict) else None
        return ValidationError(f"{what}: {detail or exc.message}", status_code=400, body=exc.body)
    return exc


def _info(body: Any, what: str) -> GroupInfo:
    try:
        return GroupInfo.model_validate(body)
    except ValueError:
        raise ApiError(f"{what}: the API's answer is not a group") from None


class AsyncGroup:
    """One group: ``gid``, ``name``, ``members``; ``add``/``remove`` change it at the API.

    >>> group = await client.create_group("band", "m1234")    # doctest: +SKIP
    >>> await group.add(["priscilla", "lisa"])                # doctest: +SKIP
    """

    def __init__(self, client: AsyncClient, info: GroupInfo) -> None:
        self.client = client
        self.info = info

    def __repr__(self) -> str:
        return f"<Group {self.name} (gid {self.gid}): {', '.join(self.member_names)}>"

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def gid(self) -> int:
        return self.info.gid

    @property
    def members(self) -> list[GroupMember]:
        return list(self.info.users)

    @property
    def member_names(self) -> list[str]:
        return [m.name for m in self.info.users]

    async def refresh(self) -> AsyncGroup:
        """Ask the API who is in the group now."""
        self.info = (await get_group(self.client, self.name)).info
        return self

    async def _change(self, users: str | Iterable[str], action: str) -> AsyncGroup:
        names = _user_names(users)
        to = "to" if action == "batch_add" else "from"
        what = f"{action.removeprefix('batch_')} {', '.join(names)} {to} group {self.name!r}"
        try:
            response = await self.client._request(
                "PUT",
                f"account/groups/{quote(self.name, safe='')}",
                data={"usernames": ",".join(names), "action": action},
            )
        except SfApiError as exc:
            raise _refused(exc, f"Could not {what}") from None
        self.info = _info(_json(response), what)
        return self

    async def add(self, users: str | Iterable[str]) -> AsyncGroup:
        """Add one user or several (one request); unknown users change nothing."""
        return await self._change(users, "batch_add")

    async def remove(self, users: str | Iterable[str]) -> AsyncGroup:
        """Remove one user or several (one request)."""
        return await self._change(users, "batch_remove")


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        raise ApiError("The API answered with something that is not JSON") from None


async def get_group(client: AsyncClient, name: str) -> AsyncGroup:
    """``GET /account/groups/{name}``; NotFoundError if there is no such group."""
    if not isinstance(name, str) or not name or "/" in name:
        raise ValueError(f"a group name is a non-empty string without '/', not {name!r}")
    body = await client._get(f"account/groups/{quote(name, safe='')}")
    return AsyncGroup(client, _info(body, f"group {name!r}"))


async def create_group(client: AsyncClient, name: str, project: str | Project) -> AsyncGroup:
    """``POST /account/groups``: a new group of ``project`` (a repo name such as ``m1234``,
    or a :class:`Project` from ``client.projects()``) with the caller as its first member.
    Not repeated on a lost answer (a retry would meet its own group: a conflict).
    ``ConflictError`` if the name is taken, ``PermissionDeniedError`` if the project is not
    yours, ``ValidationError`` if the API refuses the name."""
    check_group_name(name)
    if isinstance(project, Project):
        project = project.repo_name
    if not isinstance(project, str) or not project:
        raise ValueError(f"project is a repo name such as 'm1234', not {project!r}")
    try:
        response = await client._request(
            "POST", "account/groups", data={"name": name, "repo_name": project}, retry=False
        )
    except SfApiError as exc:
        raise _refused(exc, f"Could not create group {name!r} in project {project!r}") from None
    return AsyncGroup(client, _info(_json(response), f"group {name!r}"))


class AsyncGroups(ClientPart):
    """``AsyncClient.group`` and ``AsyncClient.create_group`` (a mixin of ``AsyncClient``)."""

    async def group(self, name: str) -> AsyncGroup:
        """One group and its members (``GET /account/groups/{name}``)."""
        return await get_group(cast("AsyncClient", self), name)

    async def create_group(self, name: str, project: str | Project) -> AsyncGroup:
        """A new group in one of your projects, with you in it; see :func:`create_group`."""
        return await create_group(cast("AsyncClient", self), name, project)


class Group:
    """A blocking handle on a group; see :class:`AsyncGroup`."""

    def __init__(self, client: Client, group: AsyncGroup) -> None:
        self._client = client
        self.aio = group

    def __repr__(self) -> str:
        return repr(self.aio)

    @property
    def name(self) -> str:
        return self.aio.name

    @property
    def gid(self) -> int:
        return self.aio.gid

    @property
    def members(self) -> list[GroupMember]:
        return self.aio.members

    @property
    def member_names(self) -> list[str]:
        return self.aio.member_names

    def refresh(self) -> Group:
        self._client._run(self.aio.refresh())
        return self

    def add(self, users: str | Iterable[str]) -> Group:
        self._client._run(self.aio.add(users))
        return self

    def remove(self, users: str | Iterable[str]) -> Group:
        self._client._run(self.aio.remove(users))
        return self


class SyncGroups(SyncPart):
    """``Client.group`` and ``Client.create_group`` (a mixin of ``Client``)."""

    def group(self, name: str) -> Group:
        return Group(cast("Client", self), self._run(self.aio.group(name)))

    def create_group(self, name: str, project: str | Project) -> Group:
        return Group(cast("Client", self), self._run(self.aio.create_group(name, project)))


__all__ = ["AsyncGroup", "Group", "check_group_name", "create_group", "get_group"]
