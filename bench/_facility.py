"""One local facility in its own process, logging every API request it receives.

The facility runs in a child process (its own interpreter and GIL, so the clients being
measured do not slow it down and it does not slow them), with an ASGI middleware that
records each request under ``/api/v1.2``: which API client sent it (the ``client_id`` claim
of its bearer token), method, path, query, bytes received and bytes answered. The parent
reads that log from ``GET /_bench/log`` and the facility's own job records (submit, start
and end times as the scheduler wrote them) from its SQLite database.

What counts as a request: one HTTP request to the API (``/api/v1.2/...``). Token requests
(``/c2id/token``) are not API requests and are not counted; each client makes one every
~9 minutes.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

API = "/api/v1.2"


def _client_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The client id in a request's bearer token ('-' for anonymous requests)."""
    for name, value in headers:
        if name.lower() == b"authorization":
            token = value.decode().partition(" ")[2]
            try:
                payload = token.split(".")[1]
                claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
                return str(claims.get("client_id", "?"))
            except (IndexError, ValueError):
                return "?"
    return "-"


class RequestLogMiddleware:
    """Pure ASGI middleware: records each API request; serves the log at /_bench/log."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.log: list[list[Any]] = []

    async def __call__(
        self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]], send: Any
    ) -> None:
        if scope["type"] == "http" and scope["path"] == "/_bench/log":
            since = int(parse_qs(scope["query_string"].decode()).get("since", ["0"])[0])
            body = json.dumps(self.log[since:]).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] != "http" or not scope["path"].startswith(API):
            await self.app(scope, receive, send)
            return
        # [client, method, path, query, bytes in, bytes out, start, end]
        record: list[Any] = [
            _client_of(scope["headers"]),
            scope["method"],
            scope["path"][len(API) :],
            scope["query_string"].decode(),
            len(scope["query_string"]) + len(scope["path"]),
            0,
            time.time(),
            0.0,
        ]
        self.log.append(record)

        async def counting_receive() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                record[4] += len(message.get("body", b""))
            return message

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                record[5] += len(message.get("body", b""))
                if not message.get("more_body"):
                    record[7] = time.time()
            await send(message)

        await self.app(scope, counting_receive, counting_send)


@dataclass
class Request:
    client: str
    method: str
    path: str
    query: str
    bytes_in: int
    bytes_out: int
    start: float
    end: float

    @property
    def is_job_status(self) -> bool:
        return self.method == "GET" and self.path.startswith("/compute/jobs/")


@dataclass
class Credentials:
    client_id: str
    pem: str


def remove_os_accounts(state_dir: Path) -> None:
    """Run as root, a facility gives its users OS accounts; the benchmark's go with its state
    (a later facility refuses, never adopts, an account it did not make)."""
    if os.geteuid() != 0 or not (state_dir / "private" / "facility.db").exists():
        return
    remove = [sys.executable, "-m", "sfapi_jupyter", "facility", "accounts", "remove"]
    subprocess.run([*remove, "--state", str(state_dir)], check=True, stdout=subprocess.DEVNULL)


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, s) process ``pid`` has used so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class BenchFacility:
    """The child process; ``requests()`` and ``jobs()`` read what it saw and did."""

    def __init__(
        self, state_dir: Path, nodes: int = 1000, min_pending: float = 0.5, user: str = "elvis"
    ) -> None:
        self.state_dir = state_dir
        #: The user whose API clients ``clients`` are. Facilities that run at once need users
        #: of their own: run as root, each gives its user an OS account, and an account
        #: another facility made is refused, never shared.
        self.user = user
        cmd = [
            sys.executable,
            "-m",
            "bench._facility",
            str(state_dir),
            str(nodes),
            str(min_pending),
            user,
        ]
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        root = Path(__file__).resolve().parent.parent
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root, env=env
        )
        assert self.proc.stdout is not None
        ready = json.loads(self.proc.stdout.readline())
        self.base_url = ready["base_url"]
        self.api_url = self.base_url + API
        self.token_url = self.base_url + "/c2id/token"
        self.clients = [Credentials(c["client_id"], c["pem"]) for c in ready["clients"]]
        self.home = Path(ready["home"])
        self.pid = self.proc.pid
        self._http = httpx.Client(timeout=60)

    def requests(self, since: int = 0) -> list[Request]:
        rows = self._http.get(self.base_url + "/_bench/log", params={"since": since}).json()
        return [Request(*row) for row in rows]

    def request_count(self) -> int:
        return len(self._http.get(self.base_url + "/_bench/log").json())

    def jobs(self, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
        """The facility's job records (``submit_time``, ``start_time``, ``end_time``, ...)."""
        db = sqlite3.connect(f"file:{self.state_dir / 'private' / 'facility.db'}?mode=ro", uri=True)
        try:
            rows = db.execute("SELECT jobid, doc FROM jobs").fetchall()
        finally:
            db.close()
        found = {str(jobid): json.loads(doc) for jobid, doc in rows}
        return found if ids is None else {i: found[i] for i in ids if i in found}

    def close(self) -> None:
        self._http.close()
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()  # the child stops when its stdin closes
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        remove_os_accounts(self.state_dir)

    def __enter__(self) -> BenchFacility:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _serve(state_dir: str, nodes: int, min_pending: float, user: str) -> None:
    from sfapi_jupyter.facility import FacilityConfig
    from sfapi_jupyter.facility.server import LocalFacility

    config = FacilityConfig(
        state_dir=Path(state_dir),
        nodes={"perlmutter": nodes, "dtns": 2, "dtn01": 1},
        min_pending_seconds=min_pending,
    )
    facility = LocalFacility(config)
    facility.app.add_middleware(RequestLogMiddleware)
    with facility:
        # Four API clients of one user: ours, theirs, a neutral one that sets up the jobs,
        # and a spare.
        creds = [facility.create_client(user, level="red") for _ in range(4)]
        ready = {
            "base_url": facility.base_url,
            "home": str(config.home_of(user)),
            "clients": [{"client_id": c.client_id, "pem": c.private_key_pem} for c in creds],
        }
        print(json.dumps(ready), flush=True)
        sys.stdin.read()  # until the parent closes it


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
