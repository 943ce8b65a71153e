"""What a job cost, from sacct rows: steps read for MaxRSS, memory had from AllocTRES or
ReqMem, CPU efficiency, the charge rule's data file, the out-of-memory advice; and the
submit-time allocation check using the same file. No facility: rows as sacct writes them."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from sfapi_jupyter.client.charges import CHARGES_FILE, ChargeFactors, charge_factors
from sfapi_jupyter.client.cost import (
    has_usage,
    job_cost,
    parse_cpu_time,
    parse_sacct_table,
    parse_size,
    sacct_command,
)
from sfapi_jupyter.client.models import JobInfo, Project
from sfapi_jupyter.client.scripts import allocation_check, parse_directives


def alloc(**fields: str) -> dict[str, str]:
    row = {
        "jobid": "123",
        "jobidraw": "123",
        "state": "COMPLETED",
        "qos": "regular",
        "cluster": "perlmutter",
        "elapsed": "00:00:10",
        "elapsedraw": "10",
        "alloccpus": "2",
        "nnodes": "1",
        "reqmem": "1000M",
        "alloctres": "cpu=2,mem=1000M,node=1,billing=2",
        "maxrss": "",
        "totalcpu": "00:10.000",
    }
    row.update(fields)
    return row


def test_maxrss_is_read_from_the_steps_when_the_allocation_row_lacks_it():
    rows = [
        alloc(),
        {"jobid": "123.batch", "jobidraw": "123.batch", "maxrss": "307200K", "totalcpu": ""},
        {"jobid": "123.extern", "jobidraw": "123.extern", "maxrss": "1024K"},
    ]
    cost = job_cost(rows, "123")
    assert cost.peak_memory == 300 * 1024**2
    assert cost.memory == 1000 * 1024**2
    assert cost.memory_fraction == pytest.approx(0.3)
    assert cost.cpu_time == dt.timedelta(seconds=10)
    assert cost.cpu_efficiency == pytest.approx(0.5)  # 10 s of CPU / (10 s x 2 CPUs)
    assert cost.node_hours == pytest.approx(10 / 3600)
    assert not cost.out_of_memory and cost.advice is None


def test_reqmem_per_node_and_per_cpu_of_older_slurm():
    per_node = job_cost([alloc(alloctres="", reqmem="2Gn", nnodes="2")], "123")
    per_cpu = job_cost([alloc(alloctres="", reqmem="500Mc")], "123")
    assert per_node.memory == 4 * 1024**3
    assert per_cpu.memory == 1000 * 1024**2


def test_out_of_memory_says_so_and_what_to_ask_for():
    cost = job_cost([alloc(state="OUT_OF_MEMORY", maxrss="1000M")], "123")
    assert cost.out_of_memory
    assert cost.advice is not None and "#SBATCH --mem=1.46G" in cost.advice
    assert "more nodes" in cost.advice
    # a peak at the limit is out of memory too, whatever the state says
    assert job_cost([alloc(state="FAILED", maxrss="1024000K")], "123").out_of_memory


def test_charge_uses_the_data_file_and_never_guesses_a_factor(tmp_path):
    factors = charge_factors()
    assert factors.read_on and factors.sources and factors.sources[0].startswith("https://")
    data = json.loads(CHARGES_FILE.read_text())
    cost = job_cost([alloc(qos="premium", elapsedraw="3600", nnodes="4")], "123")
    assert cost.node_hours == pytest.approx(4.0)
    if "premium" not in data["qos_factors"]:
        assert cost.charged_node_hours is None and cost.qos_factor is None
        assert any("premium" in note and "not in the package" in note for note in cost.notes)
    made_up = ChargeFactors("2026-01-01", ("https://x",), {"premium": 2.0}, {}, "")
    assert made_up.charged(4.0, "premium") == (8.0, None)


def test_allocation_check_counts_the_qos_factor_from_the_same_file(monkeypatch):
    from sfapi_jupyter.client import charges

    p = Project(id=1, description="", repo_name="m1", cpu_hours_given=10, cpu_hours_used=5)
    text = "#!/bin/bash\n#SBATCH -N 3 -t 1:00:00 -q premium\n"
    assert allocation_check(parse_directives(text), p) is None  # 3 node-hours, no factor known
    doubled = ChargeFactors("2026-01-01", ("https://x",), {"premium": 2.0}, {}, "")
    monkeypatch.setattr(charges, "charge_factors", lambda: doubled)
    issue = allocation_check(parse_directives(text), p)
    assert issue is not None and "6.0 CPU node-hours" in str(issue)


def test_parsers():
    assert parse_size("4Gn") == (4 * 1024**3, "n")
    assert parse_size("") is None and parse_size("junk") is None
    assert parse_cpu_time("01:02.500") == pytest.approx(62.5)
    assert parse_cpu_time("1-00:00:01") == 86401
    table = "JobIDRaw|JobID|MaxRSS|TotalCPU\n7|7||00:01.000\n7.batch|7.batch|2048K|00:01.000\n"
    rows = parse_sacct_table(table)
    assert rows[1]["maxrss"] == "2048K" and has_usage(rows)
    assert sacct_command("7").startswith("sacct -j 7 -P -o JobIDRaw,JobID,")
    with pytest.raises(ValueError):
        sacct_command("7; rm -rf ~")


def test_job_info_carries_its_cost_once_ended():
    ended = JobInfo.from_row(alloc(maxrss="100M"))
    assert ended.cost is not None and ended.cost.peak_memory == 100 * 1024**2
    running = JobInfo.from_row(alloc(state="RUNNING"))
    assert running.cost is None
    shown = ended.cost.to_json()
    assert shown["elapsed"] == 10 and shown["memory_fraction"] == pytest.approx(0.1)
    assert "peak memory 100M of 1000M" in ended.cost.summary()
