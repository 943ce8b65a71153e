"""``sfapi-jupyter``: the command line.

    sfapi-jupyter demo [--port 8000] [--lab-port 8888] [--no-lab] [--check]
    sfapi-jupyter install-kernel [--user | --sys-prefix | --prefix DIR] [--name sfapi]
                                 [--display-name "Python (SF API)"] [--env KEY=VALUE ...]
                                 [--remote MACHINE [--venv PATH] [--spec REQUIREMENT_OR_WHEEL]]
    sfapi-jupyter uninstall-kernel NAME | list-kernels
    sfapi-jupyter facility serve [--host H] [--port P] [--state DIR] [--backend local|slurm]
                                 [--nodes perlmutter=40 ...]
    sfapi-jupyter facility client create --user NAME [--level red|green] [--ip CIDR ...] [--json]
    sfapi-jupyter facility client list | revoke CLIENT_ID
    sfapi-jupyter facility accounts remove
    sfapi-jupyter facility status set RESOURCE STATUS [--note TEXT]
    sfapi-jupyter facility outage add RESOURCE --start ISO --end ISO --description TEXT
    sfapi-jupyter facility outage list | remove ID

Admin commands work on the state directory directly, so they take effect on a running
server at once. The facility's modules are imported only by the commands that use them, so
the kernel commands work in an environment without the ``facility`` extra (a remote one).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import kernel
from ._common import STATUSES, CliError


class _Lazy:
    """A command of cli/facility.py, imported when it runs."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, args: argparse.Namespace) -> int:
        from . import facility

        result: int = getattr(facility, self.name)(args)
        return result


def _default_state_dir() -> Path:
    from ..facility.config import default_state_dir

    return default_state_dir()


def cmd_demo(args: argparse.Namespace) -> int:
    """The README's first command: the facility plus JupyterLab on the quickstart."""
    if args.check is not None:
        from .demo_check import check_notebooks

        return check_notebooks(args.check or None, keep=args.keep)
    from .demo import run_demo

    return run_demo(
        args.state,
        host=args.host,
        port=args.port,
        lab_port=args.lab_port,
        key_file=args.key_file,
        lab=not args.no_lab,
    )


def cmd_install_kernel(args: argparse.Namespace) -> int:
    """A kernel with the magics loaded: here, or on a remote machine through the API."""
    if args.remote:
        from .kernel_remote import cmd_install_remote

        return cmd_install_remote(args)
    return kernel.cmd_install_kernel(args)


def add_kernel_parsers(top: Any) -> None:
    """``install-kernel``, ``uninstall-kernel`` and ``list-kernels``."""
    install = top.add_parser(
        "install-kernel",
        help="install a Jupyter kernel that starts with the sfapi magics loaded",
        description="Install a Jupyter kernel (this Python, or a new environment on a remote "
        "machine with --remote) whose first cell can already use %%sfjob and the other magics.",
    )
    where = install.add_mutually_exclusive_group()
    where.add_argument(
        "--user", action="store_true", help="the user's Jupyter data directory (the default)"
    )
    where.add_argument(
        "--sys-prefix", action="store_true", help=f"this environment's share/jupyter ({sys.prefix})"
    )
    where.add_argument("--prefix", metavar="DIR", help="DIR/share/jupyter/kernels")
    install.add_argument(
        "--name", default=kernel.DEFAULT_NAME, help="kernel name (default: %(default)s)"
    )
    install.add_argument(
        "--display-name",
        default=kernel.DEFAULT_DISPLAY_NAME,
        help="name shown in the launcher (default: %(default)s)",
    )
    install.add_argument(
        "--env",
        action="append",
        metavar="KEY=VALUE",
        help="environment variable for the kernel (repeatable)",
    )
    remote = install.add_argument_group("remote machine (through the SF API)")
    remote.add_argument(
        "--remote", metavar="MACHINE", help="set the kernel up on MACHINE, e.g. perlmutter"
    )
    remote.add_argument(
        "--venv",
        metavar="PATH",
        help="environment there, made if missing (default: ~/.venvs/sfapi-jupyter)",
    )
    remote.add_argument(
        "--spec",
        metavar="REQUIREMENT_OR_WHEEL",
        help="what pip installs there: a requirement, or a local .whl uploaded "
        "first (default: sfapi_jupyter of this version)",
    )
    remote.add_argument(
        "--python",
        default="python3",
        help="the Python there that makes a new environment (default: %(default)s)",
    )
    install.set_defaults(func=cmd_install_kernel)
    uninstall = top.add_parser("uninstall-kernel", help="remove an installed Jupyter kernel")
    uninstall.add_argument("name")
    uninstall.set_defaults(func=kernel.cmd_uninstall_kernel)
    top.add_parser("list-kernels", help="list the installed Jupyter kernels").set_defaults(
        func=kernel.cmd_list_kernels
    )


# -- parser -------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sfapi-jupyter", description=__doc__.split("\n")[0])
    top = parser.add_subparsers(dest="command", required=True)
    state = argparse.ArgumentParser(add_help=False)
    state.add_argument(
        "--state",
        type=Path,
        default=None,
        help="state directory (default: the user data directory's sfapi-jupyter/facility)",
    )
    demo = top.add_parser("demo", help="the local facility plus JupyterLab on the quickstart")
    demo.add_argument(
        "--state",
        type=Path,
        default=Path(".facility"),
        help="the demo's state: facility, key, settings, kernel (default: ./.facility)",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000, help="facility port")
    demo.add_argument("--lab-port", type=int, default=8888, help="JupyterLab port")
    demo.add_argument("--key-file", help="the demo key (default: STATE/demo/key.pem)")
    demo.add_argument("--no-lab", action="store_true", help="serve the facility only")
    demo.add_argument(
        "--check",
        nargs="*",
        metavar="NOTEBOOK",
        help="run every notebook in notebooks/ (or those named) headless against "
        "a fresh facility; exit non-zero on a failure",
    )
    demo.add_argument(
        "--keep", action="store_true", help="with --check: keep the temporary directory"
    )
    demo.set_defaults(func=cmd_demo)
    add_kernel_parsers(top)
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
    serve.add_argument(
        "--nodes",
        action="append",
        metavar="MACHINE=N",
        help="nodes of a machine in the local backend, e.g. perlmutter=40 for a room of 40 "
        "(repeatable; default perlmutter=4, dtns=2, dtn01=1)",
    )
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDR",
        help="believe X-Forwarded-For only from this proxy (address or CIDR; repeatable); "
        "without it a forwarded address is refused",
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL clients reach the facility by (the token audience is URL/c2id/token)",
    )
    serve.set_defaults(func=_Lazy("cmd_serve"))

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
    create.set_defaults(func=_Lazy("cmd_client_create"))
    lst = client.add_parser("list", parents=[state], help="list clients")
    lst.add_argument("--user")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=_Lazy("cmd_client_list"))
    revoke = client.add_parser("revoke", parents=[state], help="revoke a client")
    revoke.add_argument("client_id")
    revoke.set_defaults(func=_Lazy("cmd_client_revoke"))
    accounts = fac.add_parser("accounts", help="the OS accounts a root facility made")
    accounts_commands = accounts.add_subparsers(dest="accounts_command", required=True)
    remove = accounts_commands.add_parser(
        "remove",
        parents=[state],
        help="remove the OS users and groups this facility made (after a tutorial); "
        "it makes them again when it next starts",
    )
    remove.set_defaults(func=_Lazy("cmd_accounts_remove"))

    status = fac.add_parser("status", help="resource status").add_subparsers(
        dest="status_command", required=True
    )
    sset = status.add_parser("set", parents=[state], help="set a resource's status and note")
    sset.add_argument("resource")
    sset.add_argument("status", choices=STATUSES)
    sset.add_argument("--note", help="note shown with the status ('' clears)")
    sset.set_defaults(func=_Lazy("cmd_status_set"))
    status.add_parser("list", parents=[state], help="list resources").set_defaults(
        func=_Lazy("cmd_status_list")
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
    add.add_argument(
        "--status",
        dest="outage_status",
        default=None,
        choices=("Active", "Cancelled", "Completed", "Extended", "Planned"),
        help="fixed status (default: from the times)",
    )
    add.set_defaults(func=_Lazy("cmd_outage_add"))
    olist = outage.add_parser("list", parents=[state], help="list outages")
    olist.add_argument("resource", nargs="?")
    olist.set_defaults(func=_Lazy("cmd_outage_list"))
    remove = outage.add_parser("remove", parents=[state], help="remove an outage")
    remove.add_argument("outage_id", type=int)
    remove.set_defaults(func=_Lazy("cmd_outage_remove"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if "state" in args and args.state is None:
        args.state = _default_state_dir()
    try:
        result: int = args.func(args)
    except (CliError, ValueError) as exc:  # KernelInstallError is a CliError
        print(f"sfapi-jupyter: error: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
