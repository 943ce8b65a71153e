"""Fault injection: what a client sees, that "after" faults really did the work, determinism,
the token endpoint left alone, and the CLI flag on a real server process."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sfapi_jupyter.facility.config import FaultConfig
from sfapi_jupyter.facility.faults import injected_faults
from sfapi_jupyter.facility.server import LocalFacility

from ..support.facility import fast_config
from ..support.tokens import api_session
from ..support.waiting import wait_for

JOB = "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t 1\necho hi\n"


@contextlib.contextmanager
def faulty(tmp_path: Path, name: str = "state", **faults) -> Iterator[LocalFacility]:
    config = fast_config(tmp_path / name, min_pending_seconds=0.1, faults=FaultConfig(**faults))
    with LocalFacility(config) as running:
        yield running


@contextlib.contextmanager
def session(facility: LocalFacility, timeout: float = 30) -> Iterator[httpx.Client]:
    with api_session(facility, facility.create_client("elvis")) as client:
        client.timeout = httpx.Timeout(timeout)
        yield client


@pytest.mark.parametrize("kind", ["429", "500", "502", "503", "504"])
def test_each_status_kind_reaches_the_client(tmp_path, kind):
    with faulty(tmp_path, rate=1.0, seed=1, kinds=(kind,), retry_after=7) as facility:
        with session(facility) as api:
            response = api.get("account/")
            assert response.status_code == int(kind)
            assert "injected" in response.json()["detail"]
            if kind in ("429", "503"):
                assert response.headers["retry-after"] == "7"
            else:
                assert "retry-after" not in response.headers
        faults = injected_faults(facility.app)
        assert faults and {f[2] for f in faults} == {kind}
        assert {f[1] for f in faults} == {"/api/v1.2/account/"}


def test_drop_breaks_the_connection(tmp_path):
    with faulty(tmp_path, rate=1.0, seed=1, kinds=("drop",)) as facility:
        with session(facility) as api:
            for _ in range(4):  # before and after the route
                with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                    api.get("status/perlmutter")
        assert [f[2] for f in injected_faults(facility.app)] == ["drop"] * 4


def test_slow_answers_late_but_right(tmp_path):
    with faulty(tmp_path, rate=1.0, seed=1, kinds=("slow",), slow_seconds=3.0) as facility:
        with session(facility, timeout=0.3) as impatient, pytest.raises(httpx.ReadTimeout):
            impatient.get("status/perlmutter")
        with session(facility) as patient:
            response = patient.get("status/perlmutter")
            assert response.status_code == 200 and response.json()["name"] == "perlmutter"
        assert [f[2:] for f in injected_faults(facility.app)] == [("slow", "before")] * 2


def test_token_endpoint_is_never_hit(tmp_path):
    with faulty(tmp_path, rate=1.0, seed=1, kinds=("503",)) as facility:
        with session(facility) as api:  # fetching the token must have worked
            assert api.get("account/").status_code == 503
            assert api.get("status").status_code == 503
        assert all(f[1].startswith("/api/v1.2/") for f in injected_faults(facility.app))
        assert len(injected_faults(facility.app)) == 2


def test_an_upload_hit_after_the_route_did_write_the_file(tmp_path):
    with faulty(tmp_path, rate=1.0, seed=5, kinds=("502",), paths=("upload",)) as facility:
        home = facility.config.home_of("elvis")
        with session(facility) as api:
            for i in range(12):
                path = f"utilities/upload/perlmutter/{home}/f{i}.txt"
                response = api.put(path, files={"file": ("x", f"content {i}".encode())})
                assert response.status_code == 502
            # the rest of the API is untouched by a paths filter
            assert api.get("account/").status_code == 200
        faults = injected_faults(facility.app)
        assert len(faults) == 12
        whens = {f[1].rsplit("/", 1)[1]: f[3] for f in faults}
        assert set(whens.values()) == {"before", "after"}, "seed 5 should give both"
        for name, when in whens.items():
            written = (home / name).exists()
            assert written == (when == "after"), (name, when)
            if written:
                assert (home / name).read_text() == f"content {name[1:-4]}"


def test_a_submit_hit_after_the_route_did_create_a_job(tmp_path):
    with faulty(tmp_path, rate=1.0, seed=5, kinds=("502",), paths=("compute/jobs",)) as facility:
        with session(facility) as api:
            for _ in range(8):
                response = api.post("compute/jobs/perlmutter", data={"job": JOB, "isPath": "false"})
                assert response.status_code == 502
            after = [f for f in injected_faults(facility.app) if f[3] == "after"]
            assert 0 < len(after) < 8, "seed 5 should give both before and after"

            def submits_done() -> list[dict] | None:
                tasks = api.get("tasks").json()["tasks"]
                return tasks if all(t["status"] != "new" for t in tasks) else None

            tasks = wait_for(submits_done)
        # exactly one job per submit that reached its route: these are what a retry duplicates
        assert len(tasks) == len(after)
        jobids = {json.loads(t["result"])["jobid"] for t in tasks}
        assert len(jobids) == len(after) and None not in jobids


def _sequence(tmp_path: Path, name: str, seed: int) -> tuple[list[int], list[tuple]]:
    kinds = ("429", "500", "502", "503", "504")
    with faulty(tmp_path, name, rate=0.5, seed=seed, kinds=kinds) as facility:
        with session(facility) as api:
            codes = [api.get("status/perlmutter").status_code for _ in range(30)]
        return codes, [f[2:] for f in injected_faults(facility.app)]


def test_the_same_seed_gives_the_same_faults(tmp_path):
    first = _sequence(tmp_path, "a", seed=11)
    again = _sequence(tmp_path, "b", seed=11)
    other = _sequence(tmp_path, "c", seed=12)
    assert first == again
    assert first != other
    codes = first[0]
    assert 200 in codes and set(codes) - {200}, "a rate of 0.5 hits some requests, not all"
    assert len(first[1]) == sum(code != 200 for code in codes)


def test_no_faults_config_records_nothing(facility, api):
    assert api.get("account/").status_code == 200
    assert injected_faults(facility.app) == []


# -- FaultConfig.parse -------------------------------------------------------------------------
def test_parse_good_strings():
    config = FaultConfig.parse(
        "rate=0.2, seed=3, kinds=429+503+drop, slow=1.5, retry_after=4, paths=compute+tasks"
    )
    assert config.rate == 0.2 and config.seed == 3
    assert config.kinds == ("429", "503", "drop")
    assert config.slow_seconds == 1.5 and config.retry_after == 4
    assert config.paths == ("compute", "tasks")
    defaults = FaultConfig.parse("rate=1")
    assert defaults.rate == 1.0 and set(defaults.kinds) == {
        "429",
        "500",
        "502",
        "503",
        "504",
        "drop",
        "slow",
    }
    assert FaultConfig.parse("") == FaultConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rate=1.5", "between 0 and 1"),
        ("rate=-0.1", "between 0 and 1"),
        ("rate=nan", "between 0 and 1"),
        ("rate=lots", "could not convert"),
        ("seed=1.5", "invalid literal"),
        ("kinds=429+418", "418"),
        ("colour=red", "unknown fault option"),
        ("rate", "not key=value"),
    ],
)
def test_parse_bad_strings(text, message):
    with pytest.raises(ValueError, match=message):
        FaultConfig.parse(text)


# -- the CLI flag, on a real server process ------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_cli_serve_with_faults(tmp_path):
    port = _free_port()
    command = [sys.executable, "-m", "sfapi_jupyter", "facility", "serve"]
    command += ["--faults", "rate=1,seed=3,kinds=503", "--port", str(port)]
    command += ["--state", str(tmp_path / "state"), "--log-level", "warning"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:

        def answer() -> httpx.Response | None:
            assert server.poll() is None, server.communicate()[0]
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1.2/status", timeout=5)
            except httpx.TransportError:
                return None

        response = wait_for(answer, timeout=60, interval=0.2)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert "injected" in response.json()["detail"]
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "fault injection: rate=1.0 seed=3 kinds=503" in output
