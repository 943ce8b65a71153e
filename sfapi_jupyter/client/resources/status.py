"""Status and meta: ``/status``, ``/status/outages[/planned]``, ``/status/notes``, ``/meta``.

The public part of the API: these calls need no key (an anonymous client makes them, and a
client whose key was refused goes on making them anonymously).
"""

from __future__ import annotations

from typing import Any

from .._errors import UnexpectedAnswerError
from ..models import Change, ModelList, Note, Outage, Status
from ._part import ClientPart, SyncPart


class AsyncStatus(ClientPart):
    """``AsyncClient.status``, ``outages``, ``planned_outages``, ``notes``, ``changelog``,
    ``config``."""

    async def status(self, name: str | None = None) -> Any:
        """All resources' status (a list), or one resource's (``status("perlmutter")``)."""
        if name is None:
            rows = await self._get("status", auth_required=False, shape=list)
            return ModelList(Status.model_validate(r) for r in rows)
        return Status.model_validate(
            await self._get(f"status/{name}", auth_required=False, shape=dict)
        )

    async def _per_resource(self, path: str, name: str | None) -> list[Any]:
        """Rows of ``path`` for one resource, or of all (the API groups those per resource)."""
        where = f"{path}/{name}" if name else path
        body = await self._get(where, auth_required=False, shape=list)
        if name is not None:
            return list(body)
        if not all(isinstance(group, list) for group in body):
            raise UnexpectedAnswerError(f"GET {where}: the API's answer is not a list per resource")
        return [row for group in body for row in group]

    async def _outages(self, path: str, name: str | None) -> ModelList[Outage]:
        return ModelList(Outage.model_validate(o) for o in await self._per_resource(path, name))

    async def outages(self, name: str | None = None) -> ModelList[Outage]:
        """Current and past outages, of every resource or of one."""
        return await self._outages("status/outages", name)

    async def planned_outages(self, name: str | None = None) -> ModelList[Outage]:
        """Planned outages, of every resource or of one."""
        return await self._outages("status/outages/planned", name)

    async def notes(self, name: str | None = None) -> ModelList[Note]:
        rows = await self._per_resource("status/notes", name)
        return ModelList(Note.model_validate(n) for n in rows)

    async def changelog(self) -> ModelList[Change]:
        return ModelList(
            Change.model_validate(c)
            for c in await self._get("meta/changelog", auth_required=False, shape=list)
        )

    async def config(self) -> dict[str, str | None]:
        rows = await self._get("meta/config", auth_required=False, shape=list)
        if not all(isinstance(r, dict) and "key" in r for r in rows):
            raise UnexpectedAnswerError("GET meta/config: the API's rows have no key")
        return {str(r["key"]): r.get("value") for r in rows}


class SyncStatus(SyncPart):
    """The blocking twins of :class:`AsyncStatus` (a mixin of ``Client``)."""

    def status(self, name: str | None = None) -> Any:
        return self._run(self.aio.status(name))

    def outages(self, name: str | None = None) -> ModelList[Outage]:
        return self._run(self.aio.outages(name))

    def planned_outages(self, name: str | None = None) -> ModelList[Outage]:
        return self._run(self.aio.planned_outages(name))

    def notes(self, name: str | None = None) -> ModelList[Note]:
        return self._run(self.aio.notes(name))

    def changelog(self) -> ModelList[Change]:
        return self._run(self.aio.changelog())

    def config(self) -> dict[str, str | None]:
        return self._run(self.aio.config())
