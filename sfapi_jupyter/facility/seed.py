"""Realistic first-run data: the resources of /status, outages past and planned, notes, meta.

Times are set relative to the moment the state directory is first seeded, so a planned
outage is always in the future of a fresh facility and past ones are in the past.
"""

from __future__ import annotations

import datetime as dt
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
        _outage("perlmutter", last_tuesday - 21 * day, last_tuesday - 21 * day + 10 * hour,
                "Scheduled maintenance: Slurm upgrade and system software updates", "sched"),
        _outage("perlmutter", last_tuesday, last_tuesday + 6 * hour,
                "Degraded: scratch filesystem metadata server failover", "degr",
                "Jobs using $SCRATCH may have run slowly."),
        _outage("dtns", last_tuesday, last_tuesday + 4 * hour,
                "Data transfer nodes rebooted for kernel update", "sched"),
        _outage("globus", now - 30 * day, now - 30 * day + 2 * hour,
                "Globus endpoint certificate renewal", "sched"),
        _outage("archive", now - 14 * day, now - 14 * day + 8 * hour,
                "HPSS quarterly maintenance", "sched"),
        # Planned: one next month for perlmutter, one soon for the archive.
        _outage("perlmutter", now + 18 * day, now + 18 * day + 12 * hour,
                "Scheduled maintenance: OS image update; all queues drained beforehand", "sched",
                "Jobs that cannot finish before the start of maintenance will stay queued."),
        _outage("archive", now + 5 * day, now + 5 * day + 6 * hour,
                "HPSS tape library firmware upgrade", "sched"),
        _outage("spin", now + 11 * day, now + 11 * day + 3 * hour,
                "Spin Kubernetes control plane upgrade", "sched"),
    ]  # fmt: skip
    for doc in outages:
        store.add_outage(doc)
    for name, note, active, when in (
        ("perlmutter", "GPU nodes: CUDA 12.4 is now the default module", True, now - 3 * day),
        ("perlmutter", "Slurm upgraded; check your job scripts for deprecated options",
         False, last_tuesday - 21 * day + 10 * hour),
        ("dtns", "dtn01 is reserved for Globus traffic during beamtime runs", True, now - day),
        ("globus", "New collection: NERSC Perlmutter Scratch", True, now - 6 * day),
    ):  # fmt: skip
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
