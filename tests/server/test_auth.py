"""Every route the extension registers needs the user's login, and every non-GET its XSRF token.

The routes are not listed here: they are read from the router of a Tornado application the
extension was loaded into, so a route added later is walked too. Each is then asked over
real HTTP, with no credentials (must be 403), and each non-GET method with the login cookie
but no XSRF token (must be 403); with the token (JupyterLab's fetches) the same requests
must get past authentication, which proves the 403s come from the checks.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
from tornado import web
from tornado.routing import PathMatches, Router
from traitlets.config import Configurable

import sfapi_jupyter.server as extension

from ._servers import Jupyter

METHODS = ("get", "post", "put", "patch", "delete")
SAMPLES = {"machine": "perlmutter", "jobid": "1"}


class FakeServerApp(Configurable):
    """What ``_load_jupyter_server_extension`` uses of a ServerApp: web_app and log."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.web_app = web.Application(base_url=base_url)
        self.log = logging.getLogger("fake-serverapp")


def _rules(router: Any) -> list[tuple[str, type]]:
    found = []
    for rule in getattr(router, "rules", []):
        if isinstance(rule.target, Router) or hasattr(rule.target, "rules"):
            found += _rules(rule.target)
        elif isinstance(rule.matcher, PathMatches) and isinstance(rule.target, type):
            found.append((rule.matcher.regex.pattern, rule.target))
    return found


def registered_routes(base_url: str) -> list[tuple[str, type]]:
    app = FakeServerApp(base_url)
    before = {p for p, _ in _rules(app.web_app.default_router)}
    extension._load_jupyter_server_extension(app)
    return [(p, h) for p, h in _rules(app.web_app.default_router) if p not in before]


def concrete(pattern: str) -> str:
    """A URL path matching ``pattern``, its groups filled with sample values."""
    path = pattern.rstrip("$")
    while (start := path.find("(?P<")) >= 0:
        name = path[start + 4 : path.index(">", start)]
        depth, end = 0, start
        for end in range(start, len(path)):  # the group's closing parenthesis
            depth += {"(": 1, ")": -1}.get(path[end], 0)
            if depth == 0:
                break
        path = path[:start] + SAMPLES[name] + path[end + 1 :]
    assert re.fullmatch(pattern.rstrip("$"), path), (pattern, path)
    return path


def methods(handler: type) -> list[str]:
    return [m for m in METHODS if getattr(handler, m) is not getattr(web.RequestHandler, m)]


def test_the_walk_finds_every_route_under_the_prefix() -> None:
    routes = registered_routes("/user/elvis/")
    assert len(routes) >= 6
    assert all(p.startswith("/user/elvis/sfapi-jupyter/") for p, _ in routes)
    assert any("post" in methods(h) for _, h in routes), "no POST route: is the walk broken?"


async def test_no_route_answers_without_authentication(jupyter: Jupyter) -> None:
    routes = registered_routes("/user/elvis/")
    origin = jupyter.url.split("/user/")[0]
    answered: list[str] = []
    async with httpx.AsyncClient(timeout=60) as anonymous, jupyter.http() as tab:
        for pattern, handler in routes:
            url = origin + concrete(pattern)
            for method in methods(handler):
                refused = await anonymous.request(method.upper(), url)
                if refused.status_code != 403:
                    answered.append(f"{method.upper()} {url}: {refused.status_code}")
                allowed = await tab.request(method.upper(), url)
                assert allowed.status_code != 403, f"{method} {url} refuses the token too"
    assert not answered, "answered without authentication:\n" + "\n".join(answered)


async def test_no_post_is_accepted_without_the_xsrf_token(jupyter: Jupyter) -> None:
    routes = [(p, h) for p, h in registered_routes("/user/elvis/") if set(methods(h)) - {"get"}]
    origin = jupyter.url.split("/user/")[0]
    async with httpx.AsyncClient(timeout=60, follow_redirects=True) as browser:
        # Logging in with the token leaves the login cookie, as a browser has it.
        await browser.get(f"{jupyter.url}tree?token={jupyter.token}")
        page = await browser.get(f"{jupyter.url}login")
        assert any(c.startswith("username-") for c in browser.cookies), browser.cookies
        found = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
        xsrf = browser.cookies.get("_xsrf") or (found[1] if found else None)
        assert xsrf, "the login left no XSRF token"
        accepted: list[str] = []
        for pattern, handler in routes:
            url = origin + concrete(pattern)
            for method in set(methods(handler)) - {"get"}:
                plain = await browser.request(method.upper(), url)
                if plain.status_code != 403 or "xsrf" not in plain.text.lower():
                    accepted.append(
                        f"{method.upper()} {url}: {plain.status_code} {plain.text[:80]}"
                    )
                checked = await browser.request(method.upper(), url, headers={"X-XSRFToken": xsrf})
                assert checked.status_code != 403, f"{method} {url} refuses its XSRF token"
    assert not accepted, "accepted without XSRF:\n" + "\n".join(accepted)


@pytest.mark.parametrize("pattern", [p for p, _ in registered_routes("/")])
def test_every_route_method_is_decorated(pattern: str) -> None:
    """Static twin of the HTTP walk: each method is wrapped by @authenticated."""
    handler = dict(registered_routes("/"))[pattern]
    for method in methods(handler):
        assert getattr(handler, method).__wrapped__, f"{handler.__name__}.{method}"
