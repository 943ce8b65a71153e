"""A transfer reports its progress while ACTIVE: files and bytes done of the total.

``SFAPI_FACILITY_TRANSFER_RATE`` (bytes per second) slows the copy so it can be watched.
"""

from __future__ import annotations

import os

from sfapi_jupyter.facility.transfers import RATE_ENV

from ..support.waiting import wait_for


def test_an_active_transfer_reports_files_and_bytes_done(api, facility, monkeypatch):
    monkeypatch.setenv(RATE_ENV, str(1024 * 1024))
    home = facility.config.home_of("elvis")
    source = home / "frames"
    source.mkdir(parents=True)
    for i in range(3):
        (source / f"f{i}.raw").write_bytes(os.urandom(1024 * 1024))
    (source / "latest").symlink_to("f2.raw")
    body = api.post(
        "storage/globus/transfer",
        data={
            "source_uuid": "perlmutter",
            "target_uuid": "dtn",
            "source_dir": str(source),
            "target_dir": str(home / "copy"),
        },
    ).json()
    assert body["status"] == "OK", body
    url = f"storage/globus/transfer/{body['transfer_id']}"

    def part_way() -> dict | None:
        doc: dict = api.get(url).json()
        return doc if doc["globus_status"] == "ACTIVE" and doc["bytes_transferred"] else None

    doc = wait_for(part_way, timeout=30, interval=0.1)
    assert doc["files"] == 4 and doc["bytes_expected"] == 3 * 1024 * 1024
    assert 0 < doc["bytes_transferred"] < 3 * 1024 * 1024
    assert doc["files_transferred"] < 4 and doc["effective_bytes_per_second"] > 0
    assert doc["completion_time"] is None

    def ended() -> dict | None:
        doc: dict = api.get(url).json()
        return doc if doc["globus_status"] != "ACTIVE" else None

    doc = wait_for(ended, timeout=30)
    assert doc["globus_status"] == "SUCCEEDED"
    assert doc["files_transferred"] == doc["files"] == 4
    assert doc["bytes_transferred"] == doc["bytes_expected"] == 3 * 1024 * 1024
    assert os.readlink(home / "copy" / "frames" / "latest") == "f2.raw"
    assert set(doc) >= {
        "status",
        "reason",
        "globus_status",
        "bytes_transferred",
        "completion_time",
        "effective_bytes_per_second",
    }


def test_a_named_pipe_is_refused_not_read(api, facility):
    home = facility.config.home_of("elvis")
    (home / "pipes").mkdir(parents=True)
    os.mkfifo(home / "pipes" / "fifo")
    body = api.post(
        "storage/globus/transfer",
        data={
            "source_uuid": "perlmutter",
            "target_uuid": "dtn",
            "source_dir": str(home / "pipes" / "fifo"),
            "target_dir": str(home / "out"),
        },
    ).json()
    url = f"storage/globus/transfer/{body['transfer_id']}"
    doc = wait_for(lambda: (d := api.get(url).json())["globus_status"] != "ACTIVE" and d, 30)
    assert doc["globus_status"] == "FAILED"
    assert doc["reason"].lower().startswith("not a regular file")
