"""``client.transfer()``: Globus-shaped transfers, async core and sync twin, with progress."""

from __future__ import annotations

import os

import pytest

from sfapi_jupyter.client import ApiError, NotFoundError, PermissionDeniedError
from sfapi_jupyter.client._sync import Transfer
from sfapi_jupyter.client.models import TransferInfo, TransferStatus
from sfapi_jupyter.client.resources.storage import endpoint_id, parse_location
from sfapi_jupyter.facility.transfers import RATE_ENV

from .conftest import home


def make_tree(root, name: str, files: int = 3, size: int = 256 * 1024):
    path = root / name
    path.mkdir(parents=True)
    for i in range(files):
        (path / f"f{i}.bin").write_bytes(os.urandom(size))
    return path


async def test_transfer_reports_progress_and_succeeds(served, aclient, monkeypatch):
    monkeypatch.setenv(RATE_ENV, str(512 * 1024))  # 1.5 s for 768 KiB
    base = served.config.home_of("elvis")
    source = make_tree(base, "raw")
    transfer = await aclient.transfer(
        f"perlmutter:{source}", ("dtns", f"{home(served)}/out"), label="raw data"
    )
    assert transfer.source == ("perlmutter", str(source)) and transfer.label == "raw data"
    seen: list[TransferInfo] = []
    info = await transfer.wait(60, interval=0.2, on_progress=seen.append, check=True)
    assert info.globus_status is TransferStatus.SUCCEEDED and transfer.is_terminal
    assert info.files == info.files_transferred == 3
    assert info.bytes_transferred == info.bytes_expected == 3 * 256 * 1024
    assert info.effective_bytes_per_second and info.completion_time is not None
    active = [i for i in seen if i.globus_status is TransferStatus.ACTIVE]
    assert any(0 < (i.bytes_transferred or 0) < 3 * 256 * 1024 for i in active), seen
    assert sorted(p.name for p in (base / "out" / "raw").iterdir()) == [
        "f0.bin",
        "f1.bin",
        "f2.bin",
    ]


def test_sync_transfer_of_one_file(client, facility):
    base = facility.config.home_of("elvis")
    source = make_tree(base, "one", files=1)
    transfer = client.transfer(f"perlmutter:{source}/f0.bin", f"dtn01:{base}/single")
    assert isinstance(transfer, Transfer) and "perlmutter:" in repr(transfer)
    info = transfer.wait(60, interval=0.2)
    assert info.globus_status is TransferStatus.SUCCEEDED and info.files_transferred == 1
    assert client.transfer_status(transfer.transfer_id).globus_status is TransferStatus.SUCCEEDED
    assert (base / "single" / "f0.bin").read_bytes() == (source / "f0.bin").read_bytes()


async def test_transfer_refusals_are_typed_errors(served, aclient):
    with pytest.raises(NotFoundError, match=r"The transfer was refused: .*No such file"):
        await aclient.transfer(f"perlmutter:{home(served)}/nothing", f"dtns:{home(served)}/x")
    with pytest.raises(PermissionDeniedError, match="The transfer was refused: /etc"):
        await aclient.transfer(f"perlmutter:{home(served)}", "dtns:/etc")
    with pytest.raises(NotFoundError):
        await aclient.transfer_status("no-such-transfer")


async def test_wait_check_raises_for_a_failed_transfer(served, aclient, monkeypatch):
    from sfapi_jupyter.client.resources.storage import AsyncTransfer

    transfer = AsyncTransfer(aclient, "t-1", ("perlmutter", "/a"), ("dtns", "/b"))

    async def failed() -> TransferInfo:
        transfer.info = TransferInfo(transfer_id="t-1", globus_status="FAILED", reason="disk full")
        return transfer.info

    monkeypatch.setattr(transfer, "refresh", failed)
    with pytest.raises(ApiError, match="Transfer t-1 FAILED: disk full"):
        await transfer.wait(check=True)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("perlmutter", "'perlmutter' is not MACHINE:PATH; write the machine, a colon and the path"),
        (
            "cori:/x",
            "'cori:/x': unknown machine 'cori': a transfer goes between perlmutter, dtns, "
            "dtn01 (or Globus collection UUIDs)",
        ),
        (":/x", "':/x' has no machine"),
        ("dtns:", "'dtns:' has no path"),
        (("", "/x"), "':/x' has no machine"),
    ],
)
def test_bad_locations(spec, message):
    with pytest.raises(ValueError) as info:
        parse_location(spec)
    assert message in str(info.value)


def test_locations_and_endpoints():
    assert parse_location("dtns:/global/cfs/cdirs/m1/raw") == ("dtns", "/global/cfs/cdirs/m1/raw")
    assert parse_location(("perlmutter", "run1")) == ("perlmutter", "run1")
    machines = ("perlmutter", "dtns", "dtn01", "DTNS")
    assert [endpoint_id(m) for m in machines] == ["perlmutter", "dtn", "dtn", "dtn"]
    uuid = "0b9d2a3e-5c3f-4b59-9d2a-3e5c3f4b599d"
    assert endpoint_id(uuid) == uuid
