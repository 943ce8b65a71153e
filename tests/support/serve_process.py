"""A local facility in a process of its own (so a load test measures the server, not the GIL
it would share with its clients), with API clients made before it serves.

    python -m tests.support.serve_process SETTINGS_JSON

``SETTINGS_JSON`` names a file: ``{"state_dir", "port", "options": {FacilityConfig fields},
"clients": {"user": count}, "creds_out": path}``. The process writes the clients' credentials
(mode 0600) to ``creds_out``, prints ``READY <api url>`` and serves until SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sfapi_jupyter.facility import FacilityConfig
from sfapi_jupyter.facility.server import LocalFacility

REPO = Path(__file__).resolve().parents[2]


def main(settings_path: str) -> None:
    settings = json.loads(Path(settings_path).read_text())
    config = FacilityConfig(state_dir=Path(settings["state_dir"]), **settings.get("options", {}))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with LocalFacility(config, port=settings["port"]) as facility:
        made = [
            facility.create_client(user)
            for user, count in settings.get("clients", {}).items()
            for _ in range(count)
        ]
        out = Path(settings["creds_out"])
        descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump([{"client_id": c.client_id, "key": c.private_key_pem} for c in made], handle)
        print(f"READY {facility.api_url}", flush=True)
        stop.wait()


@contextlib.contextmanager
def facility_process(
    tmp: Path, port: int, options: dict[str, Any], clients: dict[str, int]
) -> Iterator[list[dict[str, str]]]:
    """Run the facility in its own process; yield the clients' credentials."""
    settings = {
        "state_dir": str(tmp / "state"),
        "port": port,
        "options": options,
        "clients": clients,
        "creds_out": str(tmp / "creds.json"),
    }
    path = tmp / "settings.json"
    path.write_text(json.dumps(settings))
    command = [sys.executable, "-m", "tests.support.serve_process", str(path)]
    from .figures import artifacts_dir

    logs = artifacts_dir() / "logs"
    logs.mkdir(exist_ok=True)
    log = (logs / "facility-process.log").open("a")
    server = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("READY"), f"the facility did not start: {line!r}"
        yield json.loads((tmp / "creds.json").read_text())
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


if __name__ == "__main__":
    main(sys.argv[1])
