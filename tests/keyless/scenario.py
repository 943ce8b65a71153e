"""What a keyless user does, run as an ordinary OS user by tests/keyless (prints JSON).

``python scenario.py STEP`` with the environment the test gives (no SFAPI_* but the
tripwire's SFAPI_API_URL, an empty ~/.superfacility). Steps: ``jobs`` (the user's session),
``array`` (the watcher's cost), ``client`` (just build the client: its notice or error),
``panel_job`` (submit a job that writes a line and sleeps, for the side panel to find).
"""

from __future__ import annotations

import io
import json
import os
import sys
import time
from pathlib import Path

CALLS = Path(os.environ.get("KEYLESS_CALLS", "/nonexistent"))


def calls(tool: str) -> int:
    path = CALLS / tool
    return len(path.read_text().splitlines()) if path.exists() else 0


def script(body: str, *options: str) -> str:
    head = "\n".join(f"#SBATCH {o}" for o in ("-C cpu", "-t 5", *options))
    return f"#!/bin/bash\n{head}\n{body}\n"


def jobs() -> dict:
    from sfapi_jupyter import Client

    out: dict = {}
    with Client() as client:
        out["repr"] = repr(client)
        out["status"] = client.status("perlmutter").status
        m = client.compute("perlmutter")
        done = m.submit(script("echo hello from $(whoami) in $PWD", "-J hello", "-o hello-%j.out"))
        done.wait(timeout=120)
        out["done"] = [done.jobid, done.state.value]
        out["done_output"] = m.files.download(f"hello-{done.jobid}.out", binary=False)
        if isinstance(out["done_output"], bytes):
            out["done_output"] = out["done_output"].decode()
        long = m.submit(script("sleep 300", "-J long"))
        long.cancel(wait=True, timeout=60)
        out["cancelled"] = [long.jobid, long.refresh().state.value]
        listed = [j.jobid for j in m.jobs(sacct=True)]
        out["listed"] = listed
        grow = m.submit(
            script("for i in 1 2 3 4 5; do echo line $i >> grow.txt; sleep 0.5; done", "-J grow")
        )
        seen = ""
        for chunk in m.tail("grow.txt", follow=True, missing_timeout=60):
            seen += chunk
            if "line 5" in seen:
                break
        out["tail"] = seen
        grow.wait(timeout=60)
        out["ls_home"] = sorted(e.name for e in m.files.ls(os.environ["HOME"]))
        out["run"] = m.run("echo $USER").output.strip()
        out["user"] = client.user().name
        out["projects"] = [[p.repo_name, p.description] for p in client.projects()]
        try:
            client.transfer("perlmutter:/tmp/a", "dtns:/tmp/b")
            out["transfer"] = "started"
        except Exception as exc:
            out["transfer"] = f"{type(exc).__name__}: {exc}"
        up = m.files.upload(io.BytesIO(b"uploaded bytes"), "up.txt")
        out["upload"] = [up, (Path(os.environ["HOME"]) / "up.txt").read_text()]
    return out


def array() -> dict:
    from sfapi_jupyter import Client

    out: dict = {}
    with Client() as client:
        m = client.compute("perlmutter")
        job = m.submit(script("sleep 1", "-J arr", "--array=0-49", "-o /dev/null"))
        watcher = m.aio.watcher
        ticks, squeue, sacct = watcher.ticks, calls("squeue"), calls("sacct")
        job.wait(timeout=150)  # 50 one-second tasks, two at a time on CI's node: about 60 s
        out["state"] = job.state.value
        out["tasks"] = len(watcher.tasks_of(job.jobid))
        out["ticks"] = watcher.ticks - ticks
        out["squeue"] = calls("squeue") - squeue
        out["sacct"] = calls("sacct") - sacct
    return out


def client_only() -> dict:
    from sfapi_jupyter import Client

    start = time.monotonic()
    try:
        with Client() as client:
            return {"repr": repr(client), "seconds": time.monotonic() - start}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def refused() -> dict:
    """A key in ~/.superfacility the token endpoint refuses: which transport is used, said."""
    import warnings

    from sfapi_jupyter import Client

    out: dict = {}
    with warnings.catch_warnings(record=True) as caught, Client() as client:
        warnings.simplefilter("always")
        out["repr"] = repr(client)
        out["status"] = client.status("perlmutter").status
        try:
            client.compute("perlmutter").jobs()
        except Exception as exc:
            out["jobs_error"] = f"{type(exc).__name__}: {exc}"
    out["warnings"] = [str(w.message) for w in caught]
    return out


def panel_job() -> dict:
    """A kernel's job for the side panel: running, one line written, then sleeping."""
    from sfapi_jupyter import Client

    with Client() as client:
        job = client.compute("perlmutter").submit(
            script('echo "panel line 1"; sleep 300', "-J paneljob")
        )
        deadline = time.monotonic() + 120
        while job.refresh().state.value != "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.5)
        return {"jobid": job.jobid, "state": job.state.value}


if __name__ == "__main__":
    steps = {
        "jobs": jobs,
        "array": array,
        "client": client_only,
        "refused": refused,
        "panel_job": panel_job,
    }
    step = steps[sys.argv[1]]
    print(json.dumps(step()))
