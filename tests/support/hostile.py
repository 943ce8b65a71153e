"""A hostile or broken SF API on loopback: a real HTTP server (``http.server`` in a thread)
whose answers a test sets per path, and which remembers the raw request lines it got.

    with HostileApi() as api:
        api.answer("/api/v1.2/status/perlmutter", 200, [1, 2])
        client = AsyncClient(api.api_url, api.token_url, access_token="x")

The token endpoint answers a good token unless told otherwise (``api.answer(TOKEN, ...)``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

API = "/api/v1.2"
TOKEN = "/token"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        with self.server.lock:
            self.server.requests.append(
                {
                    "method": self.command,
                    "path": path,
                    "raw": self.path,
                    "headers": dict(self.headers),
                    "body": body.decode(errors="replace"),
                }
            )
            status, headers, payload = self.server.answers.get(path, self.server.default)
            seen = self.server.requests[-1]
        if callable(payload):  # an answer made from the request (an echo)
            payload = payload(seen)
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.answers: dict[str, tuple[int, dict[str, str], Any]] = {
            TOKEN: (200, {}, {"access_token": "good-token-0123456789", "expires_in": 600}),
        }
        self.default: tuple[int, dict[str, str], Any] = (404, {}, {"detail": "Not Found"})


class HostileApi:
    """The server; ``answer(path, status, body, headers)`` sets what ``path`` answers."""

    def __init__(self) -> None:
        self._server = _Server()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self.api_url = self.base_url + API
        self.token_url = self.base_url + TOKEN
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def answer(
        self, path: str, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> None:
        """What ``path`` (under the API unless it is the token path) answers from now on;
        ``body`` may be a function of the request (``{"method", "path", "raw", "headers",
        "body"}``) for answers that echo it."""
        full = path if path == TOKEN or path.startswith(API) else API + "/" + path.lstrip("/")
        with self._server.lock:
            self._server.answers[full] = (status, headers or {}, body)

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self._server.lock:
            return list(self._server.requests)

    def __enter__(self) -> HostileApi:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
