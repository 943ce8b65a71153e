"""Floods (issue 14): bodies read before anyone is checked, transfers into FIFOs, ``/tasks``.

No memory, disk or thread may grow with what one user asks for: a body is refused before it
is read, one user's transfers cannot hold the copy threads, and finished tasks do not pile up.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import fast_config, new_client, reachable_state_dir, serve
from tests.support.figures import record_bad_input
from tests.support.tokens import api_session, task_result
from tests.support.waiting import wait_for

SURFACE = "facility (attack)"
MIB = 1024 * 1024
LIMIT = 32 * MIB  # the facility's default upload limit


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[LocalFacility]:
    state = reachable_state_dir(tmp_path_factory, "floods")
    with serve(fast_config(state)) as facility:
        yield facility


@pytest.fixture(scope="module")
def mallory(served) -> Iterator[httpx.Client]:
    with api_session(served, new_client(served, "mallory")) as session:
        yield session


@pytest.fixture(scope="module")
def elvis(served) -> Iterator[httpx.Client]:
    with api_session(served, new_client(served, "elvis")) as session:
        yield session


def give(facility: LocalFacility, user: str, path: Path) -> Path:
    """Hand what the test made to ``user`` (as root the kernel checks the facility's users)."""
    if os.geteuid() == 0:
        account = facility.facility.accounts.get_user(user)
        assert account is not None
        os.chown(path, account.uid, account.gid)
    return path


# -- bodies ------------------------------------------------------------------------------------
def _multipart(size: int, sent: list[int]) -> Iterator[bytes]:
    """A multipart upload of ``size`` bytes, streamed; ``sent[0]`` counts what left."""
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\n'
    chunk = b"x" * MIB
    for piece in (head, *([chunk] * (size // MIB)), b"\r\n--b--\r\n"):
        sent[0] += len(piece)
        yield piece


def _put(served: LocalFacility, size: int, headers: dict[str, str]) -> tuple[httpx.Response, int]:
    sent = [0]
    url = f"{served.api_url}/utilities/upload/perlmutter/{served.config.home_of('elvis')}/big"
    headers = {"Content-Type": "multipart/form-data; boundary=b", **headers}
    response = httpx.put(url, content=_multipart(size, sent), headers=headers, timeout=120)
    return response, sent[0]


def test_an_unauthenticated_256_mib_upload_is_refused_before_its_body_is_read(served):
    response, sent = _put(served, 256 * MIB, {})
    assert response.status_code == 401, response.text
    assert sent < 64 * MIB, f"the facility read {sent / MIB:.0f} MiB before its 401"
    message = response.json()["detail"]
    record_bad_input(SURFACE, "a 256 MiB upload without a token (streamed)", message)


def test_an_upload_declared_over_the_limit_is_refused_at_once(served, elvis):
    token = str(elvis.headers["Authorization"])
    size = 256 * MIB
    declared = {"Authorization": token, "Content-Length": str(size + 100)}
    response, sent = _put(served, size, declared)
    assert response.status_code == 413, response.text
    assert sent < 64 * MIB, f"the facility read {sent / MIB:.0f} MiB before its 413"
    message = response.json()["detail"]
    assert "over the upload limit of 32.0 MiB" in message and "Globus" in message
    record_bad_input(SURFACE, "a 256 MiB upload with its Content-Length", message)


def test_a_streamed_upload_is_cut_at_the_limit(served, elvis):
    response, sent = _put(served, 256 * MIB, {"Authorization": str(elvis.headers["Authorization"])})
    assert response.status_code == 413, response.text
    assert sent < LIMIT + 32 * MIB, f"the facility read {sent / MIB:.0f} MiB of a 32 MiB limit"
    assert not (served.config.home_of("elvis") / "big").exists()
    record_bad_input(SURFACE, "a 256 MiB upload streamed (chunked)", response.json()["detail"])


# -- transfers ---------------------------------------------------------------------------------
def _transfer(api: httpx.Client, source: Path, target: Path) -> str:
    body = api.post(
        "storage/globus/transfer",
        data={
            "source_uuid": "dtn",
            "target_uuid": "dtn",
            "source_dir": str(source),
            "target_dir": str(target),
        },
    ).json()
    assert body["status"] == "OK", body
    return str(body["transfer_id"])


def _status(api: httpx.Client, transfer_id: str) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"storage/globus/transfer/{transfer_id}").json()
    return body


def test_transfers_into_fifos_fail_and_hold_no_one_elses_transfer(served, mallory, elvis):
    home = served.config.home_of("mallory")
    source = home / "data.txt"
    source.write_text("mallory's data\n")
    give(served, "mallory", source)
    fifos = []
    for n in range(12):  # more than every copy thread the facility had
        target = home / f"in{n}"
        target.mkdir(exist_ok=True)
        give(served, "mallory", target)
        os.mkfifo(target / "data.txt", 0o666)
        fifos.append(give(served, "mallory", target / "data.txt"))
    theirs = [_transfer(mallory, source, home / f"in{n}") for n in range(12)]
    try:
        mine = served.config.home_of("elvis") / "mine.txt"
        mine.write_text("elvis's data\n")
        give(served, "elvis", mine)
        out = served.config.home_of("elvis") / "out"
        moved = _transfer(elvis, mine, out)
        end = wait_for(lambda: (s := _status(elvis, moved))["globus_status"] != "ACTIVE" and s, 30)
        assert end["globus_status"] == "SUCCEEDED", end
        assert (out / "mine.txt").read_text() == "elvis's data\n"
        ends = [
            wait_for(lambda t=t: (s := _status(mallory, t))["globus_status"] != "ACTIVE" and s, 30)
            for t in theirs
        ]
    finally:  # before the fix each copy waited in open() for a reader: give them one
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(
            _status(mallory, t)["globus_status"] == "ACTIVE" for t in theirs
        ):
            for fifo in fifos:
                fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
                time.sleep(0.01)
                os.close(fd)
    assert {e["globus_status"] for e in ends} == {"FAILED"}, ends
    assert all("not a regular file" in e["reason"] for e in ends), ends
    assert all(stat_is_fifo(f) for f in fifos)  # what was there is left alone
    record_bad_input(SURFACE, "12 transfers into FIFOs at once", ends[0]["reason"])


def stat_is_fifo(path: Path) -> bool:
    import stat

    return stat.S_ISFIFO(os.lstat(path).st_mode)


# -- tasks --------------------------------------------------------------------------------------
def _command(api: httpx.Client, command: str) -> str:
    body = api.post("utilities/command/perlmutter", data={"executable": command}).json()
    return str(body["task_id"])


def test_a_commands_stored_result_is_bounded(served, mallory):
    noisy = "head -c 6000000 /dev/zero | tr '\\0' o; head -c 6000000 /dev/zero | tr '\\0' e >&2"
    task_id = _command(mallory, noisy)
    result = task_result(mallory, task_id, timeout=120)
    answer = mallory.get(f"tasks/{task_id}")
    limit = served.config.max_command_output_bytes
    assert len(answer.content) < limit + 128 * 1024, f"{len(answer.content)} bytes for one task"
    assert "truncated" in result["error"], result["error"][-200:]
    record_bad_input(
        SURFACE,
        "a command writing 6 MB to stdout and 6 MB to stderr",
        f"task result of {len(answer.content) / MIB:.1f} MiB; {result['error'].strip()[-60:]}",
    )


def test_get_tasks_lists_the_running_and_the_newest_few(served, mallory):
    running = _command(mallory, "sleep 120")
    try:
        big = [_command(mallory, "head -c 3000000 /dev/zero | tr '\\0' b") for _ in range(6)]
        for task_id in big:
            task_result(mallory, task_id, timeout=120)
        for _ in range(110):
            task_result(mallory, _command(mallory, "true"), timeout=60)
        answer = mallory.get("tasks")
        listed = {t["id"]: t["status"] for t in answer.json()["tasks"]}
        assert listed.get(running) == "new", "a running task must always be listed"
        assert len(listed) <= 101, f"GET /tasks listed {len(listed)} tasks"
        assert len(answer.content) < 20 * MIB, f"GET /tasks answered {len(answer.content)} bytes"
        assert mallory.get(f"tasks/{big[0]}").json()["status"] == "completed"  # still by id
    finally:
        mallory.delete(f"tasks/{running}")
    record_bad_input(
        SURFACE,
        "GET /tasks after 117 commands, 6 of them with 3 MB of output",
        f"{len(listed)} tasks, {len(answer.content) / MIB:.1f} MiB: the running ones and the "
        "newest finished (at most 100, 16 MiB of results); older ones by GET /tasks/{id}",
    )


def test_finished_tasks_expire(tmp_path_factory):
    state = reachable_state_dir(tmp_path_factory, "expiry")
    config = fast_config(state, task_retention_seconds=1.0)
    with serve(config) as facility, api_session(facility, new_client(facility, "ann")) as api:
        first = _command(api, "echo old")
        task_result(api, first)
        time.sleep(1.5)
        second = _command(api, "echo new")
        task_result(api, second)
        gone = api.get(f"tasks/{first}")
        assert gone.status_code == 404, gone.text
        assert [t["id"] for t in api.get("tasks").json()["tasks"]] == [second]
