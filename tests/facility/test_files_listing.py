"""``ls`` of large directories, and the example files a new user finds in ``~/examples``."""

from __future__ import annotations

import numpy as np

from ..support.owners import give


def test_ls_of_ten_thousand_entries_answers_every_entry_once(api, facility, red_client):
    home = facility.config.home_of("elvis")
    big = home / "frames"
    big.mkdir()
    for i in range(10_000):
        (big / f"frame_{i:05d}.tif").write_bytes(b"\0" * (i % 7))
    (big / "zz-latest").symlink_to("frame_09999.tif")
    give(facility, "elvis", big)  # as if elvis had made them (the test runs as root in CI)
    body = api.get(f"utilities/ls/perlmutter/{big}").json()
    assert body["status"] == "OK"
    names = [e["name"] for e in body["entries"]]
    assert names[:3] == [".", "..", "frame_00000.tif"] and len(names) == 10_003
    assert names[-1] == "zz-latest -> frame_09999.tif"
    first = body["entries"][2]
    assert first["user"] == "elvis" and first["perms"].startswith("-") and first["size"] == 0
    assert body["entries"][9]["size"] == 0 and body["entries"][8]["size"] == 6


def test_a_new_user_finds_small_example_files(api, facility, red_client):
    examples = facility.config.home_of("elvis") / "examples"
    png = (examples / "detector.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert np.load(examples / "diffraction.npy").shape == (128, 128)
    assert np.load(examples / "reconstruction_stack.npy").shape == (8, 32, 32)
    assert np.load(examples / "scan_4d.npy").shape == (4, 4, 32, 32)
    assert (examples / "latest.png").readlink().name == "detector.png"
    assert sum(p.lstat().st_size for p in examples.iterdir()) < 250_000
    listing = api.get(f"utilities/ls/perlmutter/{examples}").json()["entries"]
    assert "latest.png -> detector.png" in [e["name"] for e in listing]


def test_examples_are_written_once_never_over_the_users_files(facility, red_client):
    examples = facility.config.home_of("elvis") / "examples"
    (examples / "README.txt").write_text("mine")
    (examples / "detector.png").unlink()
    facility.facility.accounts.ensure_user("elvis")
    assert (examples / "README.txt").read_text() == "mine"
    assert not (examples / "detector.png").exists()
