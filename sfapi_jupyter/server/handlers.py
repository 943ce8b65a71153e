"""The routes under ``<base_url>/sfapi-jupyter/`` (their contract: docs/panel.md, "Server routes").

Every handler is an ``APIHandler`` whose every method is ``@web.authenticated`` and
``@authorized`` (resource :data:`AUTH_RESOURCE`); ``APIHandler`` checks the XSRF token of
every request but GET/HEAD/OPTIONS. tests/server walks every route the extension registers
and fails on one that answers without authentication or takes a POST without XSRF.
"""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..client import (
    AuthenticationError,
    NotFoundError,
    RateLimitedError,
    SfApiError,
    ValidationError,
)
from ._views import JOBID, NotHere, Views

#: The resource name ``authorized`` checks (an authorizer may grant or refuse it).
AUTH_RESOURCE = "sfapi_jupyter"
#: Where the routes live, under the server's base URL.
PREFIX = "sfapi-jupyter"
MACHINE = r"(?P<machine>[A-Za-z0-9_.-]+)"


class _Handler(APIHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def views(self) -> Views:
        views: Views = self.settings["sfapi_jupyter_views"]
        return views

    def answer(self, body: dict[str, Any], status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))

    async def run(self, work: Any) -> None:
        """Answer ``await work``; a failure is a JSON ``{"error": message}`` with a status
        saying whose it is (4xx: the request; 502/503: the SF API)."""
        try:
            body = await work
        except NotHere as exc:  # an unknown machine, a job without a work dir
            self.answer({"error": exc.message}, 404)
        except NotFoundError as exc:
            self.answer({"error": exc.message}, 404)
        except ValidationError as exc:
            self.answer({"error": exc.message}, 400)
        except AuthenticationError as exc:  # no key, or a key the token endpoint refused
            state, message = self.views.upstream.key_state()
            if state == "ok":
                state = "refused"
            self.answer({"error": message or exc.message, "key": state}, 400)
        except RateLimitedError as exc:
            if exc.retry_after is not None:
                self.set_header("Retry-After", str(max(1, round(exc.retry_after))))
            self.answer({"error": exc.message}, 503)
        except SfApiError as exc:
            self.log.warning("SF API: %s", exc.message)
            self.answer({"error": exc.message}, 502)
        else:
            self.answer(body)

    def machine_arg(self, machine: str) -> str:
        try:
            self.views.check_machine(machine)
        except NotHere as exc:
            raise web.HTTPError(404, exc.message) from None
        return machine


class InfoHandler(_Handler):
    """``GET info``: the machines, the interval floor, the key's state (never the key)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        state, message = self.views.upstream.key_state()
        client = self.views.upstream.client()
        self.answer(
            {
                "machines": list(self.views.settings.machines),
                "interval": self.views.settings.min_interval,
                "output_interval": self.views.settings.output_interval,
                "api_url": client.api_base_url,
                "key": state,
                "message": message,
            }
        )


class StatusHandler(_Handler):
    """``GET status``: every resource's status, with current and planned outages."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        await self.run(self.views.status())


class JobsHandler(_Handler):
    """``GET jobs`` (every machine) and ``GET jobs/MACHINE``: queue and recently finished."""

    @web.authenticated
    @authorized
    async def get(self, machine: str | None = None) -> None:
        machines = [self.machine_arg(machine)] if machine else list(self.views.settings.machines)
        await self.run(self.views.jobs(machines))


def _int_argument(handler: _Handler, name: str) -> int | None:
    text = handler.get_argument(name, None)
    if text is None or text == "":
        return None
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        raise web.HTTPError(400, f"{name}={text[:40]!r}: give a whole number of bytes, >= 0")
    return int(text)


class OutputHandler(_Handler):
    """``GET output/MACHINE/JOBID?offset=N&inode=I[&path=P]``: the output after byte N."""

    @web.authenticated
    @authorized
    async def get(self, machine: str, jobid: str) -> None:
        self.machine_arg(machine)
        offset = _int_argument(self, "offset") or 0
        inode = _int_argument(self, "inode")
        path = self.get_argument("path", None) or None
        await self.run(self.views.output(machine, jobid, offset, inode, path))


class CancelHandler(_Handler):
    """``POST cancel/MACHINE/JOBID``: ``scancel`` the job."""

    @web.authenticated
    @authorized
    async def post(self, machine: str, jobid: str) -> None:
        self.machine_arg(machine)
        await self.run(self.views.cancel(machine, jobid))


ROUTES: list[tuple[str, type[_Handler]]] = [
    ("info", InfoHandler),
    ("status", StatusHandler),
    ("jobs", JobsHandler),
    (f"jobs/{MACHINE}", JobsHandler),
    (f"output/{MACHINE}/(?P<jobid>{JOBID.pattern})", OutputHandler),
    (f"cancel/{MACHINE}/(?P<jobid>{JOBID.pattern})", CancelHandler),
]


def handlers(base_url: str) -> list[tuple[str, type[_Handler]]]:
    """The routes with the server's base URL (``/user/NAME/`` under JupyterHub)."""
    return [(url_path_join(base_url, PREFIX, route), handler) for route, handler in ROUTES]
