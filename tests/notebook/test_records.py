"""The local job record: kept across restarts, safe for several kernels at once."""

from __future__ import annotations

import threading

from sfapi_jupyter.notebook.records import JobRecord, JobRecords, job_records, script_hash


def test_records_round_trip_and_find_a_script(data_dir):
    records = job_records()
    assert records.path.parent == data_dir
    digest = script_hash("#!/bin/bash\n  echo hi  \n", machine="perlmutter")
    assert digest == script_hash("#!/bin/bash\n  echo hi\n\n", machine="perlmutter")
    assert digest != script_hash("#!/bin/bash\n  echo hi\n", machine="perlmutter", args=["x"])
    records.save(
        JobRecord(
            "http://api",
            "perlmutter",
            "12",
            name="a",
            script_hash=digest,
            output="out-%j.txt",
            state="PENDING",
        )
    )
    records.set_state("http://api", "perlmutter", "12", "COMPLETED")
    again = JobRecords(records.path).get("http://api", "perlmutter", "12")
    assert again is not None and again.state == "COMPLETED" and again.is_terminal
    assert again.output == "out-%j.txt"
    assert [r.jobid for r in records.find_script("http://api", "perlmutter", digest)] == ["12"]
    assert records.get("http://other-api", "perlmutter", "12") is None


def test_concurrent_writers_lose_nothing(data_dir):
    path = data_dir / "jobs.sqlite"

    def writer(kernel: int) -> None:
        records = JobRecords(path)  # one per "kernel"
        for n in range(40):
            records.save(JobRecord("http://api", "perlmutter", f"{kernel}{n:03d}", state="PENDING"))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(1, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(JobRecords(path).jobs("http://api")) == 160
