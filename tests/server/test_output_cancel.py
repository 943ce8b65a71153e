"""A job's output, new bytes only, and cancel; and no key or token in any answer or log line."""

from __future__ import annotations

import asyncio
import re

import httpx

from ..support.facility import SEEN_SECRETS, make_async_client, script
from ..support.request_log import RequestLog
from ._servers import Jupyter

LINES = 12


async def submit(facility, creds, body: str) -> tuple[str, str]:
    """(jobid, stdout path) of a job with the default output file."""
    async with make_async_client(facility, creds) as client:
        job = await client.compute("perlmutter").submit(script(body))
        await job.refresh()
        assert job.info is not None and job.info.work_dir
        return job.jobid, f"{job.info.work_dir}/slurm-{job.jobid}.out"


async def read_all(tab: httpx.AsyncClient, jupyter: Jupyter, jobid: str) -> list[dict]:
    """Poll the output route from each answer's offset until the job ended and all is read."""
    reads: list[dict] = []
    offset, inode, ended = 0, None, False
    for _ in range(300):
        params = {"offset": offset} | ({"inode": inode} if inode else {})
        answer = await tab.get(jupyter.route(f"output/perlmutter/{jobid}"), params=params)
        assert answer.status_code == 200, answer.text
        read = answer.json()
        reads.append(read)
        assert read["reset"] is None
        offset, inode = read["offset"], read["inode"] or inode
        if ended and not read["text"] and not read["more"]:
            return reads
        jobs = (await tab.get(jupyter.route("jobs/perlmutter"))).json()
        ended = jobid in {j["jobid"] for j in jobs["machines"][0]["recent"]}
        await asyncio.sleep(0.3)
    raise AssertionError("the job's output did not end")


async def test_output_route_gives_only_the_new_bytes(jupyter: Jupyter, facility, elvis) -> None:
    body = f'for i in $(seq 1 {LINES}); do echo "line $i é"; sleep 0.4; done'
    jobid, path = await submit(facility, elvis, body)
    async with jupyter.http() as tab:
        reads = await read_all(tab, jupyter, jobid)
        again = await tab.get(jupyter.route(f"output/perlmutter/{jobid}"), params={"offset": 9})
    text = "".join(r["text"] for r in reads)
    assert text == "".join(f"line {i} é\n" for i in range(1, LINES + 1))
    assert reads[-1]["offset"] == len(text.encode())
    assert reads[-1]["path"] == path
    pieces = [r for r in reads if r["text"]]
    assert len(pieces) >= 2, "the output should have arrived in several reads"
    # each read started where the one before ended: no byte twice, none skipped
    assert again.json()["text"] == text.encode()[9:].decode()


async def test_output_of_a_pending_job_is_missing_not_an_error(jupyter, facility, elvis) -> None:
    jobid, _ = await submit(facility, elvis, "sleep 30")
    async with jupyter.http() as tab:
        read = (await tab.get(jupyter.route(f"output/perlmutter/{jobid}"))).json()
        bad = await tab.get(jupyter.route(f"output/perlmutter/{jobid}"), params={"offset": "-1"})
    assert read.get("missing") is True or read["text"] == "", read
    assert bad.status_code == 400 and "offset" in bad.text


async def test_cancel_needs_xsrf_then_cancels_a_real_job(jupyter: Jupyter, facility, elvis) -> None:
    jobid, _ = await submit(facility, elvis, "sleep 300")
    url = jupyter.route(f"cancel/perlmutter/{jobid}")
    async with httpx.AsyncClient(timeout=60, follow_redirects=True) as browser:
        await browser.get(f"{jupyter.url}tree?token={jupyter.token}")
        await browser.get(f"{jupyter.url}login")
        refused = await browser.post(url)
        assert refused.status_code == 403
        jobs = (await browser.get(jupyter.route("jobs/perlmutter"))).json()["machines"][0]
        assert jobid in {j["jobid"] for j in jobs["jobs"]}, "a refused cancel cancelled"
        done = await browser.post(url, headers={"X-XSRFToken": browser.cookies["_xsrf"]})
        assert done.status_code == 200, done.text
        assert done.json() == {"machine": "perlmutter", "jobid": jobid, "cancelled": True}
        for _ in range(100):
            machine = (await browser.get(jupyter.route("jobs/perlmutter"))).json()["machines"][0]
            recent = {j["jobid"]: j["state"] for j in machine["recent"]}
            if jobid in recent:
                break
            await asyncio.sleep(0.3)
    assert recent[jobid] == "CANCELLED"
    async with make_async_client(facility, elvis) as client:
        job = await client.compute("perlmutter").job(jobid)
        assert job.state.value == "CANCELLED"


async def test_no_key_or_token_in_any_answer_or_log_line(
    jupyter: Jupyter, facility, elvis, api_log: RequestLog
) -> None:
    jobid, _ = await submit(facility, elvis, "echo hello; sleep 1")
    bodies: list[str] = []
    async with jupyter.http() as tab:
        for _ in range(3):
            routes = ["info", "status", "jobs", "jobs/perlmutter", "jobs/nosuch"]
            for route in [*routes, f"output/perlmutter/{jobid}", "output/perlmutter/999"]:
                answer = await tab.get(jupyter.route(route))
                bodies.append(f"{answer.headers}\n{answer.text}")
            bodies.append((await tab.post(jupyter.route(f"cancel/perlmutter/{jobid}"))).text)
            await asyncio.sleep(1.1)
    tokens = api_log.bearers()
    assert tokens, "the server never used a token: the scan would prove nothing"
    key_lines = [ln for ln in elvis.private_key_pem.splitlines() if len(ln) > 20]
    secrets = {*tokens, *key_lines, *(s for s in SEEN_SECRETS if len(s) > 20)}
    secrets |= {t.split(".")[2] for t in tokens if t.count(".") == 2}  # a token's signature
    log = jupyter.log_path.read_text(errors="replace")
    assert "sfapi_jupyter: SF API routes at /user/elvis/sfapi-jupyter/" in log
    for where, text in [
        ("the server log", log),
        *((f"answer {i}", b) for i, b in enumerate(bodies)),
    ]:
        found = [f"secret #{i}" for i, s in enumerate(sorted(secrets)) if s in text]
        assert not found, f"{where} holds a secret: {found}"
    assert not re.search(r"BEGIN [A-Z ]*PRIVATE KEY", log + "".join(bodies))
