"""The account: ``/account`` — who you are, your projects, roles, groups and API clients.

Every call needs a key. Groups as objects you change (``client.group``,
``client.create_group``) are in :mod:`.groups`.
"""

from __future__ import annotations

from ..models import ApiClient, Group, ModelList, Project, Role, User
from ._part import ClientPart, SyncPart


class AsyncAccount(ClientPart):
    """``AsyncClient.user``, ``whoami``, ``projects``, ``roles``, ``groups``, ``clients``."""

    #: The token owner, once asked (see :meth:`whoami`).
    _me: User | None = None

    async def user(self, username: str | None = None) -> User:
        """The token owner (or ``username``)."""
        params = {"username": username} if username else None
        user = User.model_validate(await self._get("account/", params, shape=dict))
        if username is None:
            self._me = user
        return user

    async def whoami(self) -> User:
        """The token owner, asked once and remembered."""
        return self._me or await self.user()

    async def projects(self) -> ModelList[Project]:
        return ModelList(
            Project.model_validate(p) for p in await self._get("account/projects", shape=list)
        )

    async def roles(self) -> ModelList[Role]:
        return ModelList(
            Role.model_validate(r) for r in await self._get("account/roles", shape=list)
        )

    async def groups(self) -> ModelList[Group]:
        body = await self._get("account/groups", shape=dict)
        return ModelList(Group.model_validate(g) for g in body.get("groups") or [])

    async def clients(self) -> ModelList[ApiClient]:
        return ModelList(
            ApiClient.model_validate(c) for c in await self._get("account/clients", shape=list)
        )


class SyncAccount(SyncPart):
    """The blocking twins of :class:`AsyncAccount` (a mixin of ``Client``)."""

    def whoami(self) -> User:
        return self._run(self.aio.whoami())

    def user(self, username: str | None = None) -> User:
        return self._run(self.aio.user(username))

    def projects(self) -> ModelList[Project]:
        return self._run(self.aio.projects())

    def roles(self) -> ModelList[Role]:
        return self._run(self.aio.roles())

    def groups(self) -> ModelList[Group]:
        return self._run(self.aio.groups())

    def clients(self) -> ModelList[ApiClient]:
        return self._run(self.aio.clients())
