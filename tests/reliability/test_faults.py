"""Faults: 200 jobs submitted and watched to the end through a facility failing 20% of its
requests (429 with Retry-After, 500, 502, 503, 504, dropped connections, slow answers);
uploads and downloads under the same faults arrive byte-identical or fail with a clear error.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections import Counter
from collections.abc import Iterator

import pytest

from sfapi_jupyter.client import JobState, SfApiError
from sfapi_jupyter.facility import FaultConfig
from sfapi_jupyter.facility.faults import injected_faults
from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import (
    CountingTransport,
    async_client,
    fast_config,
    new_client,
    script,
    serve,
)
from tests.support.figures import record, record_text

JOBS = 200
FILES = 40
SECTION = "faults (20% of requests)"
FAULTS = FaultConfig(rate=0.2, seed=20, slow_seconds=0.5, retry_after=1)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory) -> Iterator[LocalFacility]:
    config = fast_config(
        tmp_path_factory.mktemp("faults") / "state",
        faults=FAULTS,
        nodes={"perlmutter": 16, "dtns": 2, "dtn01": 1},
    )
    with serve(config) as running:
        yield running


def user_error(errors: list[BaseException], exc: BaseException) -> None:
    errors.append(exc)
    record_text("exception", f"{type(exc).__name__}: {exc}")


async def test_200_jobs_through_faults_each_once_each_end_seen(faulty):
    creds = new_client(faulty, "faults")
    transport = CountingTransport()
    errors: list[BaseException] = []
    finals: dict[str, JobState] = {}
    started = time.monotonic()
    async with async_client(faulty, creds, transport=transport) as client:
        machine = client.compute("perlmutter")

        def on_event(event) -> None:
            if event.new.is_terminal:
                finals[event.jobid] = event.new

        machine.watcher.subscribe(on_event)
        gate = asyncio.Semaphore(8)

        async def submit_and_watch(i: int):
            async with gate:
                try:
                    job = await machine.submit(script(f"echo job {i}", f"-J rel{i}"))
                except Exception as exc:  # what would reach the user
                    user_error(errors, exc)
                    return None
            try:
                await job.wait(timeout=300)
            except Exception as exc:
                user_error(errors, exc)
            return job

        jobs = [j for j in await asyncio.gather(*map(submit_and_watch, range(JOBS))) if j]
    elapsed = time.monotonic() - started
    records = faulty.facility.store.load_jobs("perlmutter")
    names = Counter(r.name for r in records if r.name and r.name.startswith("rel"))
    expected = {f"rel{i}" for i in range(JOBS)}
    lost = len(expected - set(names)) + sum(1 for j in jobs if j.jobid not in finals)
    lost += JOBS - len(jobs)
    duplicated = sum(n - 1 for n in names.values())
    faults = Counter(kind for _, path, kind, _ in injected_faults(faulty.app))
    record(SECTION, "jobs submitted", JOBS)
    record(SECTION, "jobs lost", lost, zero=True)
    record(SECTION, "jobs duplicated", duplicated, zero=True)
    record(SECTION, "final states seen", len(finals))
    record(SECTION, "exceptions reaching the user", len(errors), zero=True)
    record(SECTION, "faults injected", sum(faults.values()))
    for kind in ("429", "500", "502", "503", "504", "drop", "slow"):
        record(SECTION, f"  of which {kind}", faults[kind])
    record(SECTION, "requests sent (API + token)", transport.total)
    record(SECTION, "time for 200 jobs", round(elapsed, 1), "s")
    assert not errors, errors[:3]
    assert lost == 0 and duplicated == 0
    assert set(finals.values()) == {JobState.COMPLETED}
    assert len(finals) == JOBS
    assert all(faults[k] for k in ("429", "500", "502", "503", "504", "drop", "slow")), faults


async def test_uploads_and_downloads_through_faults_are_exact_or_clear(faulty):
    creds = new_client(faulty, "files")
    home = faulty.config.home_of("files")
    rng = random.Random(7)
    identical = clear = corrupted = 0
    async with async_client(faulty, creds) as client:
        machine = client.compute("perlmutter")
        for i in range(FILES):
            size = rng.choice([0, 1, 1000, 65536, 300_000]) + rng.randrange(100)
            data = rng.randbytes(size)
            remote = f"{home}/data-{i}.bin"
            try:
                await machine.files.upload(data, remote)
                back = await machine.files.download(remote)
            except SfApiError as exc:
                record_text("exception", f"{type(exc).__name__}: {exc}")
                # a clear error: one readable line, naming what failed
                assert exc.message and "\n" not in exc.message.strip(), exc.message
                clear += 1
                continue
            same = back == data and (home / f"data-{i}.bin").read_bytes() == data
            digest = hashlib.sha256(back).hexdigest()[:12]
            identical += same
            corrupted += not same
            assert same, f"file {i} of {size} bytes came back different ({digest})"
    record(SECTION, "files moved up and down", FILES)
    record(SECTION, "files byte-identical", identical)
    record(SECTION, "files failed with a clear error", clear)
    record(SECTION, "files corrupted", corrupted, zero=True)
    assert identical + clear == FILES


async def test_a_500_is_retried_for_a_read_never_for_a_command(tmp_path):
    # The client fix behind the figures above: HTTP 500 is retried for idempotent requests
    # (a read, an upload to the same path), never for a POST that may have run.
    faults = FaultConfig(rate=1.0, seed=1, kinds=("500",), paths=("account", "command"))
    with serve(fast_config(tmp_path / "state", faults=faults)) as facility:
        async with async_client(facility, new_client(facility)) as client:
            with pytest.raises(SfApiError, match="HTTP 500"):
                await client.user()
            reads = len(injected_faults(facility.app))
            with pytest.raises(SfApiError, match="HTTP 500"):
                await client.compute("perlmutter").run("true")
            commands = len(injected_faults(facility.app)) - reads
    assert reads == client.retry.attempts and commands == 1
