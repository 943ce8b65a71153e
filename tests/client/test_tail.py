"""Incremental tail of a remote file, against a live local facility that logs what it sends."""

from __future__ import annotations

import asyncio
import os

import pytest

from sfapi_jupyter import Client
from sfapi_jupyter.client import NotFoundError
from sfapi_jupyter.client.tail import RemoteTail, TailChunk, read_since, tail_lines

from ..support.request_log import API
from ..support.scripts import batch_script as batch
from ._watch_fixtures import (  # noqa: F401 - fixtures
    logged_facility,
    request_log,
    wclient,
)


def sent_for_commands(log, start: int) -> int:
    """Bytes the facility answered for commands and their task results since ``start``."""
    return sum(
        r.sent
        for r in log.since(start)
        if r.path.startswith((f"{API}/utilities/command", f"{API}/tasks"))
    )


async def collect(chunks, until: str) -> str:
    text = ""
    async for chunk in chunks:
        text += chunk
        if text.endswith(until):
            break
    return text


@pytest.fixture
def home(logged_facility):
    return logged_facility.config.home_of("elvis")


async def test_moves_only_the_new_bytes_of_a_big_file(wclient, request_log, home):
    path = home / "big.log"
    path.write_bytes(os.urandom(768 * 1024).hex().encode()[: 1024 * 1024])  # 1 MiB present
    appended = "".join(f"line {i}: naïve café 世界 ✓\n" for i in range(300))  # ~10 KB
    machine = wclient.compute("perlmutter")
    tail = machine.tail("big.log", from_end=True, interval=0.1)
    start = len(request_log.seen)

    reading = asyncio.create_task(collect(tail, "line 299: naïve café 世界 ✓\n"))
    while tail.polls < 1:  # the end of the file, as it was, is where the tail starts
        await asyncio.sleep(0.05)
    data = appended.encode()
    for i in range(0, len(data), 997):  # pieces that split multibyte characters
        with path.open("ab") as out:
            out.write(data[i : i + 997])
        await asyncio.sleep(0.02)
    text = await reading
    await tail.aclose()

    assert text == appended  # exactly what was written, nothing of the old megabyte
    new_bytes = len(appended.encode())
    assert tail.bytes_read == new_bytes
    moved = sent_for_commands(request_log, start)
    # The new bytes, compressed (this text repeats itself) and base64-encoded, plus
    # envelopes: far from the 1 MiB already there.
    assert moved < 100_000


async def test_follows_a_running_jobs_output_until_it_ends(wclient, home):
    machine = wclient.compute("perlmutter")
    job = await machine.submit(
        batch("for i in $(seq 1 12); do echo step $i; sleep 0.1; done", "-o tailed.out")
    )
    text = "".join(
        [t async for t in machine.tail("tailed.out", interval=0.1, stop=lambda: job.is_terminal)]
    )
    assert text == "".join(f"step {i}\n" for i in range(1, 13))
    assert job.state.value == "COMPLETED"


async def test_small_chunks_keep_multibyte_characters_whole(wclient, home):
    text = "ünïcödé → 世界 🎉\n" * 200
    (home / "utf8.txt").write_text(text)
    machine = wclient.compute("perlmutter")
    tail = RemoteTail(machine, "utf8.txt", follow=False, chunk_size=1001)
    chunks = [c async for c in tail]
    assert "".join(chunks) == text
    assert tail.polls > len(text.encode()) // 1001  # read in capped pieces, back to back
    assert "\ufffd" not in "".join(chunks)


async def test_read_since_keeps_characters_whole_and_resets_on_truncation(wclient, home):
    """The stateless read the Jupyter server's output route uses: the offset it returns
    never cuts a character, and a file that shrank under the offset is read from 0."""
    (home / "cut.log").write_text("aé世界")  # 1 + 2 + 3 + 3 bytes
    machine = wclient.compute("perlmutter")
    texts, offset, inode = [], 0, None
    for _ in range(10):
        read = await read_since(machine, "cut.log", offset, inode, chunk_size=2)  # 4 at least
        texts.append(read.text)
        assert read.offset > offset or not read.more, "no progress"
        offset, inode = read.offset, read.inode
        if not read.more:
            break
    assert texts == ["aé", "世", "界"] and offset == len("aé世界".encode())
    (home / "cut.log").write_text("new")
    again = await read_since(machine, "cut.log", offset, inode)
    assert (again.text, again.reset, again.offset) == ("new", "truncated", 3)
    missing = await read_since(machine, "nothere.log", 5)
    assert missing.missing and missing.offset == 5 and missing.text == ""


async def test_waits_for_a_file_that_does_not_exist_yet(wclient, home):
    machine = wclient.compute("perlmutter")
    tail = machine.tail("later.log", interval=0.1)

    async def create() -> None:
        await asyncio.sleep(0.5)
        (home / "later.log").write_text("it is here\n")

    creator = asyncio.create_task(create())
    assert await collect(tail, "here\n") == "it is here\n"
    await creator
    await tail.aclose()


async def test_a_missing_file_times_out_or_fails_at_once(wclient):
    machine = wclient.compute("perlmutter")
    with pytest.raises(NotFoundError, match="did not appear"):
        [t async for t in machine.tail("never.log", interval=0.1, missing_timeout=0.3)]
    with pytest.raises(NotFoundError, match="No such file"):
        [t async for t in machine.tail("never.log", follow=False)]


async def test_truncated_and_replaced_files_start_over(wclient, home):
    path = home / "rot.log"
    path.write_text("first\n")
    machine = wclient.compute("perlmutter")
    tail = machine.tail("rot.log", interval=0.1)
    chunks: list[TailChunk] = []
    async for chunk in tail:
        assert isinstance(chunk, TailChunk)
        chunks.append(chunk)
        if chunk == "first\n":
            path.write_text("2\n")  # truncated in place: same inode, smaller
        elif chunk == "2\n":
            replacement = home / "rot.tmp"
            replacement.write_text("a longer replacement\n")
            os.replace(replacement, path)  # another inode at the same path
        elif chunk.endswith("replacement\n"):
            break
    await tail.aclose()

    assert [str(c) for c in chunks] == ["first\n", "2\n", "a longer replacement\n"]
    assert [c.reset for c in chunks] == [None, "truncated", "replaced"]


async def test_last_lines(wclient, home):
    (home / "many.log").write_text("".join(f"{i}\n" for i in range(1000)))
    machine = wclient.compute("perlmutter")
    assert await tail_lines(machine, "many.log", 3) == "997\n998\n999\n"
    tail = machine.tail("many.log", follow=False, lines=2)
    assert "".join([t async for t in tail]) == "998\n999\n"


def test_sync_machine_tail(logged_facility, home):
    creds = logged_facility.create_client("elvis")
    (home / "sync.log").write_text("one\ntwo\n")
    with Client(
        logged_facility.api_url,
        logged_facility.token_url,
        client_id=creds.client_id,
        key=creds.private_key_pem,
    ) as client:
        machine = client.compute("perlmutter")
        assert "".join(machine.tail("sync.log", follow=False)) == "one\ntwo\n"
        following = machine.tail("sync.log", interval=0.1)
        assert next(following) == "one\ntwo\n"
        with (home / "sync.log").open("a") as out:
            out.write("three\n")
        assert next(following) == "three\n"
        following.close()  # type: ignore[attr-defined]
