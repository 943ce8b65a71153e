"""Target 3: follow a job log that grows to ``size`` bytes, this project against sfapi-client.

A writer appends log lines (an iteration counter, a loss, a timestamp: what a training or
reconstruction job prints) to a file in the user's home on the facility, in equal steps over
``seconds``. Both clients follow it at the same time, polling once a second: ours
``machine.tail(path)`` (new bytes only, compressed), theirs the way its API allows, an
``ls`` and a ``download()`` of the whole file each time (``RemotePath.download``), until it
has the whole file. Both must end up with exactly the bytes written.

Bytes moved: every byte of the requests each client sent and of the answers it got
(``/api/v1.2`` request bodies and query strings, response bodies), as the facility counted
them, divided by the bytes written.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import sfapi_client
from sfapi_client.compute import Machine

from sfapi_jupyter import AsyncClient

from ._facility import BenchFacility

NAME = "bench-follow.log"


def _writer(path: Any, size: int, seconds: float, done: threading.Event) -> None:
    steps = max(int(seconds / 0.25), 1)
    per_step = size // steps
    written, i = 0, 0
    with path.open("w") as out:
        for step in range(steps):
            want = per_step if step < steps - 1 else size - written
            lines = []
            got = 0
            while got < want:
                line = f"iter {i:08d} loss={1.0 / (i + 1):.6f} t={time.time():.3f} ok\n"
                line = line[: want - got]
                lines.append(line)
                got += len(line)
                i += 1
            out.write("".join(lines))
            out.flush()
            written += got
            time.sleep(seconds / steps)
    done.set()


def run(fac: BenchFacility, size: int, seconds: float) -> dict[str, Any]:
    ours_cred, theirs_cred = fac.clients[:2]
    path = fac.home / NAME
    path.write_text("")
    done = threading.Event()
    result: dict[str, Any] = {"bytes_written": size}
    ours_text: list[str] = []
    theirs_text: list[str] = []

    async def ours() -> None:
        async with AsyncClient(
            fac.api_url, fac.token_url, client_id=ours_cred.client_id, key=ours_cred.pem
        ) as client:
            machine = client.compute("perlmutter")
            tail = machine.tail(str(path), interval=1.0, max_interval=1.0, stop=done.is_set)
            async for chunk in tail:
                ours_text.append(chunk)

    def theirs() -> None:
        with sfapi_client.Client(
            client_id=theirs_cred.client_id,
            secret=theirs_cred.pem,
            api_base_url=fac.api_url,
            token_url=fac.token_url,
        ) as client:
            compute = client.compute(Machine.perlmutter)
            while True:
                finished = done.is_set()
                [remote] = compute.ls(str(path))
                text = remote.download().read()
                if finished and len(text) >= size:
                    theirs_text.append(text)
                    return
                time.sleep(1.0)

    since = fac.request_count()
    threads = [
        threading.Thread(target=_writer, args=(path, size, seconds, done)),
        threading.Thread(target=lambda: asyncio.run(ours())),
        threading.Thread(target=theirs),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    written = path.read_text()
    requests = fac.requests(since)
    for who, cred, text in (
        ("ours", ours_cred, "".join(ours_text)),
        ("theirs", theirs_cred, "".join(theirs_text)),
    ):
        mine = [r for r in requests if r.client == cred.client_id]
        moved = sum(r.bytes_in + r.bytes_out for r in mine)
        result[who] = {
            "correct": text == written,
            "bytes_moved": moved,
            "ratio": moved / size,
            "requests": len(mine),
        }
    return result
