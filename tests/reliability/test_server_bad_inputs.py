"""Bad requests to the extension's routes and bad settings, each with one clear message.

Recorded for docs/bad-inputs.md (surface "jupyter server"); the message a panel shows is
the answer's ``error`` (tornado's own errors: ``message``), never a traceback.
"""

from __future__ import annotations

import pytest
from traitlets import TraitError

from sfapi_jupyter.server._settings import SfApiServer
from tests.server._servers import Jupyter
from tests.server.fixtures import (  # noqa: F401 - fixtures
    api_log,
    elvis,
    facility,
    jupyter,
    keyless_jupyter,
)
from tests.support.figures import record_bad_input, record_text

SURFACE = "jupyter server"


def check(given: str, message: str) -> None:
    record_text("message", message)
    record_bad_input(SURFACE, given, message)
    assert message.strip() and "Traceback" not in message, f"{given}: {message!r}"


async def test_bad_requests_get_a_status_and_a_message(jupyter: Jupyter) -> None:
    cases = [
        ("jobs/cori", 404, "cori"),
        ("output/cori/1", 404, "perlmutter"),
        ("output/perlmutter/999999", 404, "999999"),
        ("output/perlmutter/1?offset=-5", 400, "offset"),
        ("output/perlmutter/1?offset=abc", 400, "offset"),
        ("output/perlmutter/1?inode=1e9", 400, "inode"),
    ]
    async with jupyter.http() as tab:
        for route, status, needle in cases:
            answer = await tab.get(jupyter.route(route))
            body = answer.json()
            message = body.get("error") or body.get("message") or ""
            assert answer.status_code == status, (route, answer.text)
            assert needle in message, (route, message)
            check(f"GET sfapi-jupyter/{route}", f"HTTP {status}: {message}")


async def test_jobs_without_a_key(keyless_jupyter: Jupyter) -> None:
    async with keyless_jupyter.http() as tab:
        body = (await tab.get(keyless_jupyter.route("jobs"))).json()
        output = await tab.get(keyless_jupyter.route("output/perlmutter/1"))
        cancel = await tab.post(keyless_jupyter.route("cancel/perlmutter/1"))
    check("GET sfapi-jupyter/jobs on a server with no SF API key", body["message"])
    for answer in (output, cancel):
        assert answer.status_code == 400, answer.text
        assert answer.json()["key"] == "missing"
        assert answer.json()["error"] == body["message"]
    check("POST sfapi-jupyter/cancel/perlmutter/1 with no SF API key", cancel.json()["error"])


@pytest.mark.parametrize(
    ("name", "value"),
    [("min_interval", 0.1), ("output_interval", float("nan")), ("machines", [])],
)
def test_bad_settings_are_refused_saying_what_works(name: str, value: object) -> None:
    with pytest.raises(TraitError) as refused:
        SfApiServer(**{name: value})
    message = str(refused.value)
    assert f"SfApiServer.{name}" in message
    check(f"c.SfApiServer.{name} = {value!r}", message)
