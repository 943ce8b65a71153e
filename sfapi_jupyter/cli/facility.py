"""``sfapi-jupyter facility ...``: serve the local facility and administer it (clients, status,
outages). Admin commands work on the state directory directly, so they take effect on a
running server at once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from ..facility.config import (
    API_PREFIX,
    TOKEN_PATH,
    FacilityConfig,
    FaultConfig,
    describe_nodes,
    parse_nodes,
)
from ._common import CliError


def _facility(args: argparse.Namespace) -> Any:
    from ..facility.core import Facility

    return Facility(FacilityConfig(state_dir=args.state))


def _when(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise CliError(f"{text!r} is not an ISO date/time such as 2026-12-01T08:00-08:00") from None
    return moment if moment.tzinfo else moment.astimezone()


# -- serve ------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..facility.app import create_app
    from ..facility.server import uvicorn_options

    faults = FaultConfig.parse(args.faults) if args.faults else None
    if args.nodes and args.backend != "local":
        raise CliError(
            "--nodes sizes the local backend's machines; with --backend slurm the nodes are "
            "Slurm's own (see sinfo and slurm.conf)"
        )
    try:
        nodes = parse_nodes(args.nodes or [])
    except ValueError as exc:
        raise CliError(str(exc)) from None
    config = FacilityConfig(
        state_dir=args.state,
        backend=args.backend,
        token_lifetime=args.token_lifetime,
        faults=faults,
        trusted_proxies=tuple(args.trusted_proxy or ()),
        public_url=args.public_url,
        nodes=nodes,
    )
    app = create_app(config)
    base = f"http://{args.host}:{args.port}"
    print(f"Local SF API facility ({args.backend} backend), state in {config.state_dir}")
    print(f"  api_base_url = {base}{API_PREFIX}")
    print(f"  token_url    = {base}{TOKEN_PATH}")
    if args.backend == "local":
        print(f"  machines     = {describe_nodes(config.nodes)} (--nodes perlmutter=N)")
    print(
        "  make a client: sfapi-jupyter facility client create --user NAME "
        f"--state {config.state_dir}"
    )
    if faults:
        print(
            f"  fault injection: rate={faults.rate} seed={faults.seed} "
            f"kinds={'+'.join(faults.kinds)}"
        )
    print(f"  {app.state.facility.isolation_notice}")
    sys.stdout.flush()
    uvicorn.run(
        app, host=args.host, port=args.port, log_level=args.log_level, **uvicorn_options(config)
    )
    return 0


# -- clients ------------------------------------------------------------------------------------
def cmd_client_create(args: argparse.Namespace) -> int:
    from ..facility.models import AccountError

    facility = _facility(args)
    lifetime = dt.timedelta(hours=args.hours) if args.hours else None
    try:
        client = facility.accounts.create_client(
            args.user,
            level=args.level,
            ip_ranges=args.ip or None,
            name=args.name,
            lifetime=lifetime,
            projects=args.project or None,
        )
    except AccountError as exc:
        raise CliError(str(exc)) from None
    if args.key_file:
        path = Path(args.key_file).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            raise CliError(f"{path} exists; remove it or choose another --key-file")
        path.touch(mode=0o600)
        path.write_text(client.key_file_text)
    if args.json:
        print(
            json.dumps(
                {
                    "client_id": client.client_id,
                    "user": client.user,
                    "level": client.level,
                    "expires_at": client.expires_at,
                    "private_key_pem": client.private_key_pem,
                    "private_key_jwk": client.private_key_jwk,
                },
                indent=2,
            )
        )
    elif args.key_file:
        print(
            f"client {client.client_id} for {client.user} ({client.level}, expires "
            f"{client.expires_at}); key written to {args.key_file} (mode 600)"
        )
    else:
        print(client.key_file_text, end="")
        print(
            f"# client {client.client_id} for {client.user} ({client.level}), expires "
            f"{client.expires_at}. Save the lines above (client id, then the private key) as "
            "~/.superfacility/key.pem with chmod 600; it is shown only once.",
            file=sys.stderr,
        )
    return 0


def cmd_client_list(args: argparse.Namespace) -> int:
    clients = _facility(args).accounts.list_clients(args.user)
    if args.json:
        print(json.dumps(clients, indent=2))
        return 0
    print(f"{'CLIENT ID':<14}{'USER':<12}{'LEVEL':<7}{'EXPIRES':<27}STATE")
    for c in clients:
        print(
            f"{c['client_id']:<14}{c['user']:<12}{c['level']:<7}{c['expires_at']:<27}"
            f"{'revoked' if c['revoked'] else 'active'}"
        )
    return 0


def cmd_client_revoke(args: argparse.Namespace) -> int:
    from ..facility.models import AccountError

    try:
        _facility(args).accounts.revoke_client(args.client_id)
    except AccountError as exc:
        raise CliError(str(exc)) from None
    print(f"client {args.client_id} revoked; its tokens stop working at once")
    return 0


def cmd_accounts_remove(args: argparse.Namespace) -> int:
    """Remove the OS accounts the facility of ``--state`` made (a tutorial is over, or its
    state is about to be deleted: an account left behind would be refused, never adopted, by
    the next facility that wants that name)."""
    from ..facility.accounts import Accounts
    from ..facility.store import Store

    config = FacilityConfig(state_dir=args.state)
    if not config.db_path.exists():
        raise CliError(f"{args.state} holds no facility state (no {config.db_path.name})")
    store = Store(config.db_path)
    try:
        removed = Accounts(config, store).remove_os_accounts()
    finally:
        store.close()
    print(f"removed {len(removed)} OS users and groups: {' '.join(removed) or '(none)'}")
    return 0


# -- status and outages -------------------------------------------------------------------------
def cmd_status_set(args: argparse.Namespace) -> int:
    from ..facility.seed import DESCRIPTIONS, iso

    facility = _facility(args)
    doc = facility.store.get_resource(args.resource)
    if doc is None:
        names = ", ".join(r["name"] for r in facility.store.list_resources())
        raise CliError(f"no resource {args.resource!r}; known: {names}")
    doc["status"] = args.status
    doc["description"] = DESCRIPTIONS[args.status]
    if args.note is not None:
        doc["notes"] = [args.note] if args.note else []
    doc["updated_at"] = iso(dt.datetime.now(dt.timezone.utc))
    facility.store.put_resource(args.resource, doc)
    print(f"{args.resource}: {args.status}" + (f" ({args.note})" if args.note else ""))
    return 0


def cmd_outage_add(args: argparse.Namespace) -> int:
    from ..facility.seed import iso

    facility = _facility(args)
    if facility.store.get_resource(args.resource) is None:
        raise CliError(f"no resource {args.resource!r}; `status list` shows the names")
    start, end = _when(args.start), _when(args.end)
    if end <= start:
        raise CliError("--end must be after --start")
    outage_id = facility.store.add_outage(
        {
            "name": args.resource,
            "start_at": iso(start),
            "end_at": iso(end),
            "description": args.description,
            "notes": args.notes or "",
            "status": args.outage_status,
            "swo": args.swo,
            "update_at": iso(dt.datetime.now(dt.timezone.utc)),
        }
    )
    print(
        f"outage {outage_id} added for {args.resource}: "
        f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
    )
    return 0


def cmd_outage_list(args: argparse.Namespace) -> int:
    for outage_id, doc in _facility(args).store.list_outages(args.resource):
        print(
            f"{outage_id:>4}  {doc['name']:<14}{doc['start_at']}  {doc['end_at']}  "
            f"{doc['description']}"
        )
    return 0


def cmd_outage_remove(args: argparse.Namespace) -> int:
    if not _facility(args).store.remove_outage(args.outage_id):
        raise CliError(f"no outage {args.outage_id}; `outage list` shows the ids")
    print(f"outage {args.outage_id} removed")
    return 0


def cmd_status_list(args: argparse.Namespace) -> int:
    for doc in _facility(args).store.list_resources():
        print(f"{doc['name']:<24}{doc['status']:<13}{'; '.join(doc.get('notes') or [])}")
    return 0
