"""``sfapi-jupyter``: the command line.

    sfapi-jupyter demo [--port 8000] [--lab-port 8888] [--no-lab]
    sfapi-jupyter facility serve [--host H] [--port P] [--state DIR] [--backend local|slurm]
    sfapi-jupyter facility client create --user NAME [--level red|green] [--ip CIDR ...] [--json]
    sfapi-jupyter facility client list | revoke CLIENT_ID
    sfapi-jupyter facility status set RESOURCE STATUS [--note TEXT]
    sfapi-jupyter facility outage add RESOURCE --start ISO --end ISO --description TEXT
    sfapi-jupyter facility outage list | remove ID

Admin commands work on the state directory directly, so they take effect on a running
server at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..facility.config import default_state_dir
from .facility import (
    STATUSES,
    CliError,
    cmd_client_create,
    cmd_client_list,
    cmd_client_revoke,
    cmd_outage_add,
    cmd_outage_list,
    cmd_outage_remove,
    cmd_serve,
    cmd_status_list,
    cmd_status_set,
)


def cmd_demo(args: argparse.Namespace) -> int:
    """The README's first command: the facility plus JupyterLab on the quickstart."""
    from .demo import run_demo

    return run_demo(
        args.state,
        host=args.host,
        port=args.port,
        lab_port=args.lab_port,
        key_file=args.key_file,
        lab=not args.no_lab,
    )


# -- parser -------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sfapi-jupyter", description=__doc__.split("\n")[0])
    top = parser.add_subparsers(dest="command", required=True)
    state = argparse.ArgumentParser(add_help=False)
    state.add_argument("--state", type=Path, default=default_state_dir(),
                       help="state directory (default: %(default)s)")  # fmt: skip
    demo = top.add_parser(
        "demo", parents=[state], help="the local facility plus JupyterLab on the quickstart"
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="facility port")
    demo.add_argument("--lab-port", type=int, default=8888, help="JupyterLab port")
    demo.add_argument("--key-file", default="~/.superfacility/local-facility.pem")
    demo.add_argument("--no-lab", action="store_true", help="serve the facility only")
    demo.set_defaults(func=cmd_demo)
    fac = top.add_parser("facility", help="the local SF API facility").add_subparsers(
        dest="facility_command", required=True
    )
    serve = fac.add_parser("serve", parents=[state], help="serve the API over HTTP")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default loopback)"
    )
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--backend", choices=("local", "slurm"), default="local")
    serve.add_argument("--token-lifetime", type=int, default=600, help="access token seconds")
    serve.add_argument("--faults", help="inject faults, e.g. rate=0.2,seed=1,kinds=429+503+drop")
    serve.add_argument("--log-level", default="info")
    serve.set_defaults(func=cmd_serve)

    client = fac.add_parser("client", help="API clients").add_subparsers(
        dest="client_command", required=True
    )
    create = client.add_parser("create", parents=[state], help="register a client (like Iris)")
    create.add_argument("--user", required=True, help="user name (created if new)")
    create.add_argument("--level", choices=("red", "green"), default="red")
    create.add_argument("--ip", action="append", metavar="CIDR", help="source range (repeatable)")
    create.add_argument("--name", help="client name")
    create.add_argument("--project", action="append", help="project (repo) to join, e.g. m1234")
    create.add_argument("--hours", type=float, help="lifetime in hours (default: by level)")
    create.add_argument("--key-file", help="write the key (client id on line 1) here, mode 600")
    create.add_argument("--json", action="store_true", help="print a JSON object")
    create.set_defaults(func=cmd_client_create)
    lst = client.add_parser("list", parents=[state], help="list clients")
    lst.add_argument("--user")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_client_list)
    revoke = client.add_parser("revoke", parents=[state], help="revoke a client")
    revoke.add_argument("client_id")
    revoke.set_defaults(func=cmd_client_revoke)

    status = fac.add_parser("status", help="resource status").add_subparsers(
        dest="status_command", required=True
    )
    sset = status.add_parser("set", parents=[state], help="set a resource's status and note")
    sset.add_argument("resource")
    sset.add_argument("status", choices=STATUSES)
    sset.add_argument("--note", help="note shown with the status ('' clears)")
    sset.set_defaults(func=cmd_status_set)
    status.add_parser("list", parents=[state], help="list resources").set_defaults(
        func=cmd_status_list
    )

    outage = fac.add_parser("outage", help="outages").add_subparsers(
        dest="outage_command", required=True
    )
    add = outage.add_parser("add", parents=[state], help="add an outage (current or planned)")
    add.add_argument("resource")
    add.add_argument("--start", required=True, help="ISO date/time")
    add.add_argument("--end", required=True, help="ISO date/time")
    add.add_argument("--description", required=True)
    add.add_argument("--notes")
    add.add_argument("--swo", default="sched", help="short code, e.g. sched or degr")
    add.add_argument("--status", dest="outage_status", default=None,
                     choices=("Active", "Cancelled", "Completed", "Extended", "Planned"),
                     help="fixed status (default: from the times)")  # fmt: skip
    add.set_defaults(func=cmd_outage_add)
    olist = outage.add_parser("list", parents=[state], help="list outages")
    olist.add_argument("resource", nargs="?")
    olist.set_defaults(func=cmd_outage_list)
    remove = outage.add_parser("remove", parents=[state], help="remove an outage")
    remove.add_argument("outage_id", type=int)
    remove.set_defaults(func=cmd_outage_remove)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.func(args)
    except (CliError, ValueError) as exc:
        print(f"sfapi-jupyter: error: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
