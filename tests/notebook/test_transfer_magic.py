"""``%sftransfer`` and ``start_transfer``: a live TransferCard until the transfer ends."""

from __future__ import annotations

import os

import pytest
from IPython.core.error import UsageError

from sfapi_jupyter import Client
from sfapi_jupyter.client._sync import Transfer
from sfapi_jupyter.facility.transfers import RATE_ENV
from sfapi_jupyter.notebook.session import set_client
from sfapi_jupyter.notebook.transfer import start_transfer, wait_for_transfer
from sfapi_jupyter.widgets import TransferCard

from .conftest import make_client, wait_for


@pytest.fixture
def tree(facility, client, request):
    """A directory of 3 files (3 MiB) in elvis's home, and where to copy it."""
    home = facility.config.home_of("elvis")
    name = request.node.name[:40].replace("[", "-").replace("]", "")
    source = home / f"src-{name}"
    source.mkdir(parents=True)
    for i in range(3):
        (source / f"part{i}.bin").write_bytes(os.urandom(1024 * 1024))
    return source, home / f"dst-{name}"


def test_sftransfer_shows_progress_until_it_succeeds(ip, client, tree, monkeypatch):
    monkeypatch.setenv(RATE_ENV, str(1024 * 1024))  # 1 MiB/s: three seconds to watch
    source, target = tree
    card = ip.run_line_magic("sftransfer", f"perlmutter:{source} dtns:{target} --label raw")
    assert isinstance(card, TransferCard)
    assert card.source == f"perlmutter:{source}" and card.target == f"dtns:{target}"
    assert card.label == "raw" and card.transfer_id
    seen: list[tuple[str, int, int]] = []
    card.observe(
        lambda _c: seen.append((card.state, card.files_done, card.bytes_done)),
        names=["bytes_done", "state"],
    )
    wait_for(lambda: card.state == "SUCCEEDED", what="the transfer")
    assert card.files == card.files_done == 3
    assert card.bytes_done == card.bytes_expected == 3 * 1024 * 1024
    assert card.percent == 100.0 and card.rate > 0
    assert any(s == "ACTIVE" and 0 < b < 3 * 1024 * 1024 for s, _f, b in seen), seen
    assert sorted(p.name for p in (target / source.name).iterdir()) == [
        "part0.bin",
        "part1.bin",
        "part2.bin",
    ]
    assert "SUCCEEDED" in card.summary_text() and "3 / 3" in card.summary_text()


def test_sftransfer_wait_binds_the_transfer(ip, client, tree, monkeypatch):
    source, target = tree
    shown = []
    monkeypatch.setattr("sfapi_jupyter.notebook.magics.transfer.show", shown.append)
    result = ip.run_line_magic(
        "sftransfer", f"perlmutter:{source}/part0.bin dtn01:{target} --wait --out moved"
    )
    assert result is None and len(shown) == 1
    moved = ip.user_ns["moved"]
    assert isinstance(moved, Transfer) and moved.state.value == "SUCCEEDED"
    assert (target / "part0.bin").read_bytes() == (source / "part0.bin").read_bytes()
    wait_for(lambda: shown[0].state == "SUCCEEDED", what="the card")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "cori:/a dtns:/b",
            "'cori:/a': unknown machine 'cori': a transfer goes between perlmutter, dtns, dtn01",
        ),
        ("/global/homes/e/elvis dtns:/b", "'/global/homes/e/elvis' is not MACHINE:PATH"),
        (
            "perlmutter: dtns:/b",
            "'perlmutter:' has no path; write MACHINE:PATH, e.g. "
            "perlmutter:/pscratch/sd/e/elvis/run1",
        ),
        (":/a dtns:/b", "':/a' has no machine"),
        ("perlmutter:/a dtns:/b --out 1x", "--out takes a Python variable name, not '1x'"),
        ("perlmutter:/a dtns:/b --timeout 0", "--timeout takes a number of seconds above 0"),
    ],
)
def test_sftransfer_bad_input(ip, client, line, message):
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("sftransfer", line)
    assert message in str(info.value)


def test_sftransfer_missing_source_says_so(ip, client, facility):
    home = facility.config.home_of("elvis")
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("sftransfer", f"perlmutter:{home}/no-such-dir dtns:{home}/x")
    assert str(info.value) == (
        f"Starting the transfer failed: The transfer was refused: {home}/no-such-dir: "
        "No such file or directory"
    )


def test_sftransfer_outside_the_users_reach_is_refused(ip, client, facility):
    home = facility.config.home_of("elvis")
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("sftransfer", f"perlmutter:{home} dtns:/etc")
    assert "Starting the transfer failed: The transfer was refused: /etc:" in str(info.value)


def test_sftransfer_with_a_green_client_says_a_red_one_is_needed(ip, client, facility, tree):
    green = make_client(facility, facility.create_client("elvis", level="green"))
    set_client(green)
    try:
        source, target = tree
        with pytest.raises(UsageError) as info:
            ip.run_line_magic("sftransfer", f"perlmutter:{source} dtns:{target}")
    finally:
        set_client(client)
        green.close()
    assert str(info.value).startswith("Starting the transfer failed: This API client (green)")
    assert "need a red client" in str(info.value)


def test_sftransfer_without_credentials_says_how_to_get_them(ip, client, facility):
    anonymous = Client(facility.api_url, facility.token_url)
    if anonymous.aio.authenticated:  # a key in the environment of whoever runs the tests
        anonymous.close()
        pytest.skip("credentials found in the environment")
    set_client(anonymous)
    try:
        with pytest.raises(UsageError) as info:
            ip.run_line_magic("sftransfer", "perlmutter:/a dtns:/b")
    finally:
        set_client(client)
        anonymous.close()
    assert "needs an API client: pass client_id= and key=" in str(info.value)


def test_start_transfer_without_ipython_and_wait(client, tree):
    source, target = tree
    transfer, card = start_transfer(("perlmutter", str(source)), ("dtns", str(target)))
    assert wait_for_transfer(transfer, 60, card=card)
    assert card.state == "SUCCEEDED" and card.files_done == 3
    assert 'data-sfj-static="transfer"' in card.summary_html()
