"""File operations of the client core: progress callbacks, atomic local writes, typed errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sfapi_jupyter.client import ApiError, NotFoundError, PermissionDeniedError

from .conftest import home


@pytest.fixture
def local(tmp_path) -> Path:
    """A local directory of its own (the facility's state is in tmp_path too)."""
    folder = tmp_path / "local"
    folder.mkdir()
    return folder


async def test_upload_and_download_report_progress_to_the_end(served, aclient, local):
    machine = aclient.compute("perlmutter")
    data = os.urandom(300_000)
    sent: list[tuple[int, int | None]] = []
    await machine.files.upload(
        data, f"{home(served)}/p.bin", progress=lambda d, t: sent.append((d, t))
    )
    assert sent[-1] == (300_000, 300_000) and len(sent) >= 2
    got: list[tuple[int, int | None]] = []
    saved = await machine.files.download(
        f"{home(served)}/p.bin", local, progress=lambda d, t: got.append((d, t))
    )
    assert saved.read_bytes() == data
    assert got[-1][0] == got[-1][1] and got[-1][1] > 300_000  # base64 in JSON: about 4/3
    assert [d for d, _ in got] == sorted(d for d, _ in got)


async def test_download_refuses_to_overwrite_when_asked(served, aclient, local):
    machine = aclient.compute("perlmutter")
    await machine.files.upload(b"new", f"{home(served)}/n.txt")
    (local / "n.txt").write_bytes(b"old")
    before = aclient.request_count
    with pytest.raises(FileExistsError, match=r"n\.txt exists; pass overwrite=True"):
        await machine.files.download(f"{home(served)}/n.txt", local, overwrite=False)
    assert aclient.request_count == before  # refused before any request
    assert (local / "n.txt").read_bytes() == b"old"
    await machine.files.download(f"{home(served)}/n.txt", local)
    assert (local / "n.txt").read_bytes() == b"new"
    assert sorted(p.name for p in local.iterdir()) == ["n.txt"]  # no temporary left


async def test_file_errors_are_typed(served, aclient, local):
    machine = aclient.compute("perlmutter")
    served.create_client("mallory")
    other = Path(home(served, "mallory")) / "secret.txt"
    other.write_text("x")
    with pytest.raises(NotFoundError, match="No such file or directory"):
        await machine.files.download(f"{home(served)}/missing.bin", local)
    with pytest.raises(PermissionDeniedError, match="Permission denied"):
        await machine.files.download(str(other))
    with pytest.raises(PermissionDeniedError, match="Permission denied"):
        await machine.files.upload(b"x", "/usr/local/x.txt")
    with pytest.raises(FileNotFoundError, match="is not a local file"):
        await machine.files.upload("no-such-local-file.txt", f"{home(served)}/x")
    with pytest.raises(IsADirectoryError, match="upload its files one by one"):
        await machine.files.upload(local, f"{home(served)}/x")
    assert list(local.iterdir()) == []


async def test_over_the_size_limit_the_message_says_use_a_transfer(served, aclient, local):
    machine = aclient.compute("perlmutter")
    served.config.max_upload_bytes = served.config.max_download_bytes = 1000
    try:
        with pytest.raises(
            ApiError,
            match=r"exceeds the limit of 1000 bytes; nothing was "
            r"written.*use a transfer instead \(%sftransfer",
        ):
            await machine.files.upload(os.urandom(1001), f"{home(served)}/big.bin")
        (Path(home(served)) / "big.bin").write_bytes(os.urandom(1001))
        with pytest.raises(ApiError, match=r"over the download limit of 1000 bytes.*transfer"):
            await machine.files.download(
                f"{home(served)}/big.bin", local, progress=lambda d, t: None
            )
    finally:
        served.config.max_upload_bytes = served.config.max_download_bytes = 32 * 1024 * 1024
    assert list(local.iterdir()) == []
