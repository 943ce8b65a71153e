"""Realistic first-run data: the resources of /status, outages past and planned, notes, meta.

Times are set relative to the moment the state directory is first seeded, so a planned
outage is always in the future of a fresh facility and past ones are in the past.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from .store import Store

try:
    from zoneinfo import ZoneInfo

    PACIFIC: dt.tzinfo = ZoneInfo("America/Los_Angeles")
except Exception:  # pragma: no cover - no tz database
    PACIFIC = dt.timezone(dt.timedelta(hours=-8))

#: name, full name, type, description of what it is.
RESOURCES: tuple[tuple[str, str, str], ...] = (
    ("perlmutter", "Perlmutter", "compute"),
    ("dtns", "Data Transfer Nodes", "compute"),
    ("dtn01", "Data Transfer Node 01", "compute"),
    ("global_homes", "Global Homes Filesystem", "filesystem"),
    ("global_common", "Global Common Filesystem", "filesystem"),
    ("community_filesystem", "Community Filesystem (CFS)", "filesystem"),
    ("archive", "HPSS Archive (User)", "storage"),
    ("regent", "HPSS Archive (Backup)", "storage"),
    ("spin", "Spin", "service"),
    ("globus", "Globus", "service"),
    ("jupyter", "JupyterHub", "service"),
    ("iris", "Iris", "service"),
    ("nersc_center", "NERSC Center", "service"),
    ("helpportal", "Help Portal", "service"),
    ("website", "NERSC Website", "service"),
    ("network", "Network", "service"),
    ("ldap", "LDAP", "service"),
    ("sgns", "Science Gateway Nodes", "service"),
    ("myproxy", "MyProxy", "service"),
    ("nomachine", "NoMachine (NX)", "service"),
    ("ssh-proxy", "SSH Proxy (sshproxy)", "service"),
    ("mongodb", "MongoDB", "service"),
    ("rstudio", "RStudio", "service"),
    ("matlab", "MATLAB", "service"),
    ("mathematica", "Mathematica", "service"),
    ("newt", "NEWT", "service"),
    ("sciencedatabases", "Science Databases", "service"),
    ("dna", "DnA Filesystem", "filesystem"),
    ("jgidb", "JGI Databases", "service"),
    ("webservers", "Web Servers", "service"),
    ("jgi_int_webservers", "JGI Internal Web Servers", "service"),
    ("int", "Integration Services", "service"),
    ("integ_datalanguage", "Integrated Data Language", "service"),
)

DESCRIPTIONS = {
    "active": "System is active",
    "degraded": "System Degraded",
    "unavailable": "System Unavailable",
    "other": "System status unknown",
}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(PACIFIC).isoformat(timespec="seconds")


def resource_doc(
    name: str, full_name: str, system_type: str, status: str, notes: list[str], updated: str
) -> dict[str, Any]:
    return {
        "name": name,
        "full_name": full_name,
        "description": DESCRIPTIONS[status],
        "system_type": system_type,
        "notes": notes,
        "status": status,
        "updated_at": updated,
    }


def _outage(
    name: str, start: dt.datetime, end: dt.datetime, description: str, swo: str, notes: str = ""
) -> dict[str, Any]:
    return {
        "name": name,
        "start_at": iso(start),
        "end_at": iso(end),
        "description": description,
        "notes": notes,
        "status": None,  # derived from the times unless an admin sets it
        "swo": swo,
        "update_at": iso(start - dt.timedelta(days=3)),
    }


def seed(store: Store) -> None:
    """Fill a new facility database; does nothing if it was seeded before."""
    if store.get_meta("seeded_at"):
        return
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    day = dt.timedelta(days=1)
    hour = dt.timedelta(hours=1)
    for position, (name, full_name, system_type) in enumerate(RESOURCES, 1):
        store.put_resource(
            name,
            resource_doc(name, full_name, system_type, "active", [], iso(now - 2 * hour)),
            position,
        )
    # Past maintenance: sfapi_client's public tests expect perlmutter to have outages.
    last_tuesday = now - 9 * day
    outages = [
        _outage(
            "perlmutter",
            last_tuesday - 21 * day,
            last_tuesday - 21 * day + 10 * hour,
            "Scheduled maintenance: Slurm upgrade and system software updates",
            "sched",
        ),
        _outage(
            "perlmutter",
            last_tuesday,
            last_tuesday + 6 * hour,
            "Degraded: scratch filesystem metadata server failover",
            "degr",
            "Jobs using $SCRATCH may have run slowly.",
        ),
        _outage(
            "dtns",
            last_tuesday,
            last_tuesday + 4 * hour,
            "Data transfer nodes rebooted for kernel update",
            "sched",
        ),
        _outage(
            "globus",
            now - 30 * day,
            now - 30 * day + 2 * hour,
            "Globus endpoint certificate renewal",
            "sched",
        ),
        _outage(
            "archive",
            now - 14 * day,
            now - 14 * day + 8 * hour,
            "HPSS quarterly maintenance",
            "sched",
        ),
        # Planned: one next month for perlmutter, one soon for the archive.
        _outage(
            "perlmutter",
            now + 18 * day,
            now + 18 * day + 12 * hour,
            "Scheduled maintenance: OS image update; all queues drained beforehand",
            "sched",
            "Jobs that cannot finish before the start of maintenance will stay queued.",
        ),
        _outage(
            "archive",
            now + 5 * day,
            now + 5 * day + 6 * hour,
            "HPSS tape library firmware upgrade",
            "sched",
        ),
        _outage(
            "spin",
            now + 11 * day,
            now + 11 * day + 3 * hour,
            "Spin Kubernetes control plane upgrade",
            "sched",
        ),
    ]
    for doc in outages:
        store.add_outage(doc)
    for name, note, active, when in (
        ("perlmutter", "GPU nodes: CUDA 12.4 is now the default module", True, now - 3 * day),
        (
            "perlmutter",
            "Slurm upgraded; check your job scripts for deprecated options",
            False,
            last_tuesday - 21 * day + 10 * hour,
        ),
        ("dtns", "dtn01 is reserved for Globus traffic during beamtime runs", True, now - day),
        ("globus", "New collection: NERSC Perlmutter Scratch", True, now - 6 * day),
    ):
        store.add_note({"name": name, "notes": note, "active": active, "timestamp": iso(when)})
    for date, change in (
        ("2025-02-20", "Compute: callbackUrl, callbackEmail and callbackTimeout on job submit"),
        ("2024-11-12", "Compute: cached=false bypasses the job status cache"),
        ("2024-07-18", "Account: list your API clients with GET /account/clients"),
        ("2024-09-03", "Tasks: partial command output in result while a task runs"),
        ("2025-01-08", "Storage: Globus transfers through /storage/globus/transfer"),
        ("2023-02-09", "Clients get security levels (red/green) and source IP ranges"),
    ):
        store.add_changelog(date, change)
    store.set_config("compute.targets", "perlmutter,dtns,dtn01")
    store.set_config("compute.default_target", "perlmutter")
    store.set_config("api.version", "1.2")
    store.set_config("auth.token_lifetime_seconds", "600")
    store.set_meta("seeded_at", now.isoformat())


# -- a new user's home: small example files to browse, preview and download ---------------------
def _png(rgb: Any) -> bytes:
    """A PNG of an (h, w, 3) uint8 array: the few lines of the format a preview needs."""
    import struct
    import zlib

    height, width, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def seed_home(home: Path) -> None:
    """Put ``~/examples/`` in a new home: a detector image (PNG), arrays (``.npy``, 2-D to
    4-D, as a ptychography or 4D-STEM scan writes them), a log and a symlink. All small
    (about 200 KB together); written once, never over a user's own files."""
    import numpy as np

    examples = home / "examples"
    if examples.exists():
        return
    examples.mkdir(parents=True)
    rng = np.random.default_rng(7)
    y, x = np.mgrid[-1:1:128j, -1:1:128j]
    radius = np.hypot(x, y)
    # A diffraction pattern: rings around a bright centre, with shot noise.
    pattern = np.exp(-radius * 4) + 0.25 * np.cos(radius * 40) ** 2 * np.exp(-radius * 2)
    pattern = (pattern + rng.normal(0, 0.01, pattern.shape)).astype(np.float32)
    np.save(examples / "diffraction.npy", pattern)
    grey = np.clip(pattern / pattern.max() * 255, 0, 255).astype(np.uint8)
    rgb = np.stack([grey, (grey * 0.8).astype(np.uint8), 255 - grey], axis=-1)
    (examples / "detector.png").write_bytes(_png(np.ascontiguousarray(rgb)))
    # A stack of 8 reconstructions (3-D) and a 4-D scan of 4 x 4 diffraction patterns.
    frames = np.stack([np.roll(pattern[::4, ::4], k, axis=1) * (1 + k / 8) for k in range(8)])
    np.save(examples / "reconstruction_stack.npy", frames.astype(np.float32))
    scan = np.stack(
        [
            np.stack([np.roll(pattern[::4, ::4], (i, j), axis=(0, 1)) for j in range(4)])
            for i in range(4)
        ]
    )
    np.save(examples / "scan_4d.npy", scan.astype(np.float32))
    lines = [f"iteration {i:4d}  error {0.5 * 0.97**i:.6f}" for i in range(1, 201)]
    (examples / "reconstruction.log").write_text("\n".join(lines) + "\ndone\n")
    (examples / "README.txt").write_text(
        "Example data for the sfapi_jupyter file browser:\n"
        "  detector.png               a detector image\n"
        "  diffraction.npy            a 2-D diffraction pattern (float32)\n"
        "  reconstruction_stack.npy   8 reconstructions (3-D)\n"
        "  scan_4d.npy                a 4 x 4 scan of diffraction patterns (4-D)\n"
        "  reconstruction.log         an iteration log\n"
        "  latest.png                 a symlink to detector.png\n"
    )
    (examples / "latest.png").symlink_to("detector.png")
