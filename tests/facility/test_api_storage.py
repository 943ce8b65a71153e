"""``/storage/globus/transfer`` over real HTTP: a Globus-shaped copy between machines."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..support.owners import give
from ..support.tokens import api_session
from ..support.waiting import wait_for

SECRET = "MALLORY-SECRET-0815"


def start(api: httpx.Client, source: str | Path, target: str | Path, **form: str) -> dict:
    data = {
        "source_uuid": "perlmutter",
        "target_uuid": "dtn",
        "source_dir": str(source),
        "target_dir": str(target),
        "label": "test transfer",
        **form,
    }
    response = api.post("storage/globus/transfer", data=data)
    assert response.status_code == 200, response.text
    body: dict = response.json()
    return body


def finished(api: httpx.Client, transfer_id: str) -> dict:
    def done() -> dict | None:
        response = api.get(f"storage/globus/transfer/{transfer_id}")
        assert response.status_code == 200, response.text
        body: dict = response.json()
        return None if body["globus_status"] == "ACTIVE" else body

    return wait_for(done, timeout=30)


@pytest.fixture
def home(facility) -> Path:
    return facility.config.home_of("elvis")


@pytest.fixture
def scratch(facility, api) -> Path:
    del api  # elvis exists once his client does
    return facility.config.scratch_of("elvis")


@pytest.fixture
def mallory_home(facility, red_client) -> Path:
    del red_client
    facility.create_client("mallory")
    home = facility.config.home_of("mallory")
    (home / "secret.txt").write_text(SECRET)
    return home


def _tree(root: Path) -> dict[str, bytes | str]:
    """Relative path → bytes (files) or ``-> target`` (symlinks)."""
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        if p.is_symlink():
            out[rel] = f"-> {p.readlink()}"
        elif p.is_file():
            out[rel] = p.read_bytes()
    return out


def test_directory_transfer_copies_everything_and_counts_its_bytes(facility, api, home, scratch):
    data = home / "run42"
    (data / "raw").mkdir(parents=True)
    (data / "a.txt").write_text("alpha\n")
    (data / "raw" / "frame.bin").write_bytes(bytes(range(256)) * 40)
    (data / "latest").symlink_to("raw/frame.bin")
    (scratch / "in").mkdir()
    (scratch / "in" / "old.bin").write_bytes(b"x" * 5000)  # already there: not transferred
    give(facility, "elvis", scratch / "in")

    started = start(api, data, scratch / "in")
    assert started["status"] == "OK" and started["reason"] is None
    assert started["transfer_id"]
    result = finished(api, started["transfer_id"])

    assert result["status"] == "OK"
    assert result["globus_status"] == "SUCCEEDED"
    assert result["bytes_transferred"] == len("alpha\n") + 256 * 40
    assert result["completion_time"]
    assert _tree(scratch / "in" / "run42") == _tree(data)
    assert (scratch / "in" / "old.bin").read_bytes() == b"x" * 5000


def test_single_file_transfer(api, home, scratch):
    (home / "one.dat").write_bytes(b"0123456789")
    result = finished(api, start(api, home / "one.dat", scratch)["transfer_id"])
    assert result["globus_status"] == "SUCCEEDED" and result["bytes_transferred"] == 10
    assert (scratch / "one.dat").read_bytes() == b"0123456789"


def test_unknown_endpoint_is_refused(api, home, scratch):
    (home / "f").write_text("x")
    body = start(api, home / "f", scratch, target_uuid="hpss-archive")
    assert body["status"] == "ERROR" and body["transfer_id"] == ""
    assert "hpss-archive" in body["reason"]


def test_missing_source_is_refused(api, home, scratch):
    body = start(api, home / "not-here", scratch)
    assert body["status"] == "ERROR"
    assert "No such file or directory" in body["reason"]


@pytest.mark.parametrize("where", ["other home", "tmp", "usr", "private"])
def test_target_outside_reach_is_refused(api, facility, home, mallory_home, tmp_path, where):
    (home / "f.txt").write_text("payload")
    target = {
        "other home": mallory_home,
        "tmp": tmp_path,
        "usr": Path("/usr/local"),
        "private": facility.config.private_dir,
    }[where]
    before = sorted(p.name for p in target.iterdir())
    body = start(api, home / "f.txt", target)
    assert body["status"] == "ERROR" and "Permission denied" in body["reason"]
    assert sorted(p.name for p in target.iterdir()) == before


def test_source_outside_reach_is_refused(api, mallory_home, scratch):
    body = start(api, mallory_home, scratch)
    assert body["status"] == "ERROR" and "Permission denied" in body["reason"]
    assert list(scratch.iterdir()) == []


def test_a_symlink_already_in_the_target_does_not_carry_the_copy_out(
    api, home, scratch, mallory_home
):
    (home / "data").mkdir()
    (home / "data" / "secret.txt").write_text("overwritten by elvis")
    (home / "data" / "planted.txt").write_text("planted by elvis")
    (scratch / "data").symlink_to(mallory_home)  # scratch/data -> mallory's home

    result = finished(api, start(api, home / "data", scratch)["transfer_id"])
    assert result["globus_status"] == "FAILED"
    assert "Permission denied" in result["reason"]
    assert (mallory_home / "secret.txt").read_text() == SECRET
    assert not (mallory_home / "planted.txt").exists()


def test_a_file_symlink_in_the_target_does_not_carry_the_copy_out(api, home, scratch, mallory_home):
    (home / "secret.txt").write_text("overwritten by elvis")
    (scratch / "secret.txt").symlink_to(mallory_home / "secret.txt")
    result = finished(api, start(api, home / "secret.txt", scratch)["transfer_id"])
    assert result["globus_status"] == "FAILED" and "Permission denied" in result["reason"]
    assert (mallory_home / "secret.txt").read_text() == SECRET


def test_target_inside_source_is_refused(api, home):
    (home / "tree").mkdir()
    body = start(api, home / "tree", home / "tree" / "sub")
    assert body["status"] == "ERROR" and "inside" in body["reason"]


@pytest.fixture
def mallory(facility, mallory_home) -> Iterator[httpx.Client]:
    del mallory_home
    with api_session(facility, facility.create_client("mallory")) as session:
        yield session


def test_another_users_transfer_is_not_found(api, mallory, home, scratch):
    (home / "f").write_text("x")
    transfer_id = start(api, home / "f", scratch)["transfer_id"]
    assert mallory.get(f"storage/globus/transfer/{transfer_id}").status_code == 404
    assert api.get("storage/globus/transfer/no-such-id").status_code == 404
