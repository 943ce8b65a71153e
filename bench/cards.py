"""Target 6: N live job cards in one real kernel, while nothing changes and while all do.

A real IPython kernel (``jupyter_client``, as a notebook front end starts it) creates N job
cards (``job_card(jobid)``) with one client against the facility and displays them. Then,
for ``seconds`` each, two phases:

* idle: 16 of the N jobs run without writing anything (``sleep``), the rest have ended;
* changing: N jobs run, each writing a line to stdout every second.

Measured per phase: the kernel's CPU (utime + stime of its process, from ``/proc``, over the
phase, as a share of one core: the kernel's own idle work included), the comm messages it
sent to the front end (``comm_msg`` on IOPub, counted by the client), the API requests the
facility received from the kernel's client, the remote commands (``POST
/utilities/command``) per second, and the file polls each command carried (with F files
followed, F means one command per round of polls, O(1); 1 would mean one per file, O(N)).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

from jupyter_client.manager import KernelManager

from sfapi_jupyter import AsyncClient

from ._facility import BenchFacility

IDLE_RUNNING = 16

_SETUP = """
import os, json
from sfapi_jupyter import Client
from IPython.display import display
get_ipython().run_line_magic("load_ext", "sfapi_jupyter")
from sfapi_jupyter.notebook import job_card
client = Client({api!r}, {token!r}, client_id={cid!r}, key={key!r})
machine = client.compute("perlmutter")
cards = []
"""

_CARDS = """
for jobid in {ids!r}:
    card = job_card(jobid, "perlmutter", client)
    cards.append(card)
    display(card)
"""

_TAILS = """
t = machine.aio.tails
print(json.dumps({"commands": t.commands, "polls": t.polls}))
"""


def _script(body: str) -> str:
    return f"#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q debug\n#SBATCH -t 30\n{body}\n"


async def _submit(fac: BenchFacility, bodies: list[str]) -> list[str]:
    cred = fac.clients[2]
    async with AsyncClient(fac.api_url, fac.token_url, client_id=cred.client_id, key=cred.pem) as c:
        machine = c.compute("perlmutter")
        gate = asyncio.Semaphore(25)

        async def one(body: str) -> str:
            async with gate:
                return (await machine.submit(_script(body))).jobid

        ids = list(await asyncio.gather(*(one(b) for b in bodies)))
        await machine.watcher.stop()
        return ids


async def _cancel(fac: BenchFacility, ids: list[str]) -> None:
    cred = fac.clients[2]
    async with AsyncClient(fac.api_url, fac.token_url, client_id=cred.client_id, key=cred.pem) as c:
        machine = c.compute("perlmutter")
        for jobid in ids:
            with contextlib.suppress(Exception):  # already ended
                await (await machine.job(jobid)).cancel()


class Kernel:
    def __init__(self) -> None:
        self.km = KernelManager(kernel_name="python3")
        env = {**os.environ, "PYTHONWARNINGS": "ignore"}
        self.km.start_kernel(env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self.pid = int(self.km.provisioner.process.pid)  # type: ignore[union-attr]
        self.comm_msgs = 0

    def run(self, code: str, timeout: float = 600) -> str:
        msg_id = self.kc.execute(code)
        out: list[str] = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            kind = msg["msg_type"]
            if kind == "comm_msg":
                self.comm_msgs += 1
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if kind == "stream":
                out.append(msg["content"]["text"])
            elif kind == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return "".join(out)
        raise TimeoutError(code)

    def drain(self, seconds: float) -> None:
        """Count comm messages for ``seconds`` while the kernel is idle."""
        deadline = time.time() + seconds
        while (left := deadline - time.time()) > 0:
            try:
                msg = self.kc.get_iopub_msg(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if msg["msg_type"] == "comm_msg":
                self.comm_msgs += 1

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


def _phase(fac: BenchFacility, kernel: Kernel, cid: str, seconds: float) -> dict[str, Any]:
    import json

    tails0 = json.loads(kernel.run(_TAILS))
    since = fac.request_count()
    comms0, cpu0, t0 = kernel.comm_msgs, kernel.cpu_seconds(), time.time()
    kernel.drain(seconds)
    elapsed = time.time() - t0
    cpu = kernel.cpu_seconds() - cpu0
    comms = kernel.comm_msgs - comms0
    mine = [r for r in fac.requests(since) if r.client == cid]
    tails1 = json.loads(kernel.run(_TAILS))
    commands = tails1["commands"] - tails0["commands"]
    polls = tails1["polls"] - tails0["polls"]
    running = sum(1 for r in mine if r.method == "POST" and "/utilities/command/" in r.path)
    return {
        "cpu_percent": 100 * cpu / elapsed,
        "comm_per_s": comms / elapsed,
        "requests_per_s": len(mine) / elapsed,
        "commands_per_s": running / elapsed,
        "file_polls_per_s": polls / elapsed,
        # How many file polls one remote command carried: with F files followed, F means
        # one command per round of polls (O(1)), 1 would mean one command per file (O(N)).
        "files_per_command": polls / max(commands, 1),
    }


def run(n: int, seconds: float) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="bench-cards-") as tmp,
        BenchFacility(Path(tmp) / "state") as fac,
    ):
        cred = fac.clients[0]
        idle_ids = asyncio.run(
            _submit(fac, ["true"] * (n - IDLE_RUNNING) + ["sleep 600"] * IDLE_RUNNING)
        )
        busy_ids = asyncio.run(
            _submit(fac, ["for i in $(seq 600); do echo line $i; sleep 1; done"] * n)
        )
        time.sleep(3)  # the short jobs end
        kernel = Kernel()
        try:
            setup = _SETUP.format(
                api=fac.api_url, token=fac.token_url, cid=cred.client_id, key=cred.pem
            )
            kernel.run(textwrap.dedent(setup))
            idle_cpu = _idle_kernel(kernel, seconds)
            kernel.run(_CARDS.format(ids=idle_ids))
            kernel.drain(5)  # the cards settle: ended jobs read their output and stop
            idle = _phase(fac, kernel, cred.client_id, seconds)
            idle["kernel_alone_cpu_percent"] = idle_cpu
            kernel.run("for c in cards: c.close()\ncards.clear()")
            kernel.run(_CARDS.format(ids=busy_ids))
            kernel.drain(5)
            changing = _phase(fac, kernel, cred.client_id, seconds)
        finally:
            kernel.close()
            asyncio.run(_cancel(fac, idle_ids[-IDLE_RUNNING:] + busy_ids))
    return {"n": n, "idle": idle, "changing": changing}


def _idle_kernel(kernel: Kernel, seconds: float) -> float:
    cpu0, t0 = kernel.cpu_seconds(), time.time()
    kernel.drain(min(seconds, 10.0))
    return 100 * (kernel.cpu_seconds() - cpu0) / (time.time() - t0)
