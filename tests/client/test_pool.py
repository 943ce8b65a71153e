"""The client's HTTP transport (``client/_pool.py``): kept-alive connections a server has
hung up on are never reused, with the cheaper look at idle connections.

A small HTTP/1.1 server on loopback answers each request and then, on every connection,
hangs up without saying so (no ``Connection: close``), as a server whose keep-alive
timeout passed does. A client that reused such a connection would fail its next request.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from sfapi_jupyter import AsyncClient
from sfapi_jupyter.client import _pool
from sfapi_jupyter.client._constants import CONNECTION_LIMITS
from sfapi_jupyter.client._pool import api_transport, socket_is_readable

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


class HangingUpServer:
    """Answers one request per connection, then closes it; counts connections."""

    def __init__(self) -> None:
        self.connections = 0
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await reader.readuntil(b"\r\n\r\n")
        writer.write(ANSWER)
        await writer.drain()
        writer.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"


@pytest.fixture
async def hanging_up() -> AsyncIterator[HangingUpServer]:
    server = HangingUpServer()
    server.server = await asyncio.start_server(server._serve, "127.0.0.1", 0)
    async with server.server:
        yield server


async def test_a_connection_the_server_hung_up_on_is_not_used_again(
    hanging_up: HangingUpServer,
) -> None:
    async with httpx.AsyncClient(transport=api_transport(CONNECTION_LIMITS)) as http:
        for _ in range(3):
            response = await http.get(hanging_up.url + "/status")
            assert response.json() == {}
            await asyncio.sleep(0.05)  # the hang-up reaches the client's socket
        # each request on a connection of its own: none went to a closed one
        assert hanging_up.connections == 3


async def test_the_api_client_looks_at_idle_connections_that_way(
    hanging_up: HangingUpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks: list[bool] = []

    def counted(sock: socket.socket | None) -> bool:
        looks.append(socket_is_readable(sock))
        return looks[-1]

    monkeypatch.setattr(_pool, "socket_is_readable", counted)
    async with AsyncClient(hanging_up.url, anonymous=True) as client:
        first = await client._request("GET", "status", auth_required=False)
        await asyncio.sleep(0.05)
        second = await client._request("GET", "status", auth_required=False)
    assert first.json() == second.json() == {}
    # the idle connection was looked at (and found hung up) before the second request
    assert True in looks
    assert hanging_up.connections == 2
