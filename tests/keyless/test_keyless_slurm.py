"""Keyless on a real Slurm, as the ordinary OS user ``nobody`` with no key (issue 17)."""

from __future__ import annotations

from .conftest import KeylessHost


def test_a_user_without_a_key_submits_watches_cancels_lists_tails_and_lists_files(
    keyless_host: KeylessHost,
) -> None:
    out = keyless_host.run("jobs")
    # Client() says once, in one line, which way it reaches the machine
    notices = [line for line in out["stderr"].splitlines() if "keyless" in line]
    assert len(notices) == 1 and "through this node's Slurm as nobody" in notices[0], out["stderr"]
    assert "facility" not in out["stderr"], "keyless mode is no facility to the user"
    assert "keyless" in out["repr"]
    done_id, done_state = out["done"]
    assert done_state == "COMPLETED"
    assert out["done_output"].strip() == f"hello from nobody in {keyless_host.home}"
    cancelled_id, cancelled_state = out["cancelled"]
    assert cancelled_state == "CANCELLED"
    assert {done_id, cancelled_id} <= set(out["listed"])
    assert "line 1" in out["tail"] and "line 5" in out["tail"]
    assert {"hello-" + done_id + ".out", "grow.txt"} <= set(out["ls_home"])
    assert out["run"] == "nobody"
    assert out["user"] == "nobody"
    assert [p[0] for p in out["projects"]] == ["root"]
    assert "balance needs the SF API and an API client key" in out["projects"][0][1]
    assert "A Globus transfer needs the SF API" in out["transfer"]
    assert out["upload"][1] == "uploaded bytes"
    # the tripwire (SFAPI_API_URL) saw public status reads and nothing else
    assert keyless_host.tripwire_seen, "status should still come from the SF API"
    assert all(" /api/v1.2/status" in p for p in keyless_host.tripwire_seen), (
        keyless_host.tripwire_seen
    )


def test_watching_a_50_task_array_costs_one_squeue_per_tick(keyless_host: KeylessHost) -> None:
    out = keyless_host.run("array")
    assert out["state"] == "COMPLETED" and out["tasks"] == 50
    assert out["ticks"] >= 1
    # one squeue per tick, whatever the number of tasks; sacct only for jobs squeue forgot
    assert out["squeue"] <= out["ticks"] + 1, out
    assert out["sacct"] <= out["ticks"], out
    print(
        f"\n50-task array watched keyless: {out['ticks']} ticks, {out['squeue']} squeue, "
        f"{out['sacct']} sacct"
    )
