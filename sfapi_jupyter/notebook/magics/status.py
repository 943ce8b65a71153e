"""Magics for the facility's status: ``%sfstatus`` (a live board) and ``%sfoutages``."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import SfMagicsBase, later, out_argument, usage_errors, variable_name

outage_table = later(".status", "outage_table")
status_board = later(".status", "status_board")

resources_argument = argument(
    "resources",
    nargs="*",
    metavar="RESOURCE",
    help="Only these resources, by their /status names (perlmutter, dtns, global_homes, ...).",
)


@magics_class
class StatusMagics(SfMagicsBase):
    """Check the machines and services before you use them; no key needed."""

    @magic_arguments()
    @resources_argument
    @argument(
        "--interval",
        metavar="S",
        help="Refresh every S seconds while the board is visible (default 60).",
    )
    @out_argument(what="the board")
    @line_magic
    def sfstatus(self, line: str) -> Any:
        """Show a live board of NERSC's resources: status, notes, outages, planned maintenance.

        Resources are grouped as NERSC groups them (compute, storage, file systems,
        services). The timeline shows outages planned for the next 14 days (hover or click
        one for its description). While visible, the board refreshes every minute and marks
        what changed since you last looked. Status is public: no key is needed.

        Examples
        --------
        In [1]: %sfstatus
        In [2]: %sfstatus perlmutter dtns --out board
        """
        args = parse_argstring(self.sfstatus, line)
        out = variable_name(args.out)
        interval = _interval(args.interval)
        with usage_errors("Reading the status"):
            board = status_board(*args.resources, interval=interval)
        self.store(out, board)
        return board

    @magic_arguments()
    @argument(
        "--planned", action="store_true", help="Planned outages instead of current and past ones."
    )
    @resources_argument
    @out_argument(what="the DataFrame")
    @line_magic
    def sfoutages(self, line: str) -> Any:
        """Outages as a pandas DataFrame, sorted by start: current and past, or planned.

        Examples
        --------
        In [1]: %sfoutages --planned
        In [2]: %sfoutages perlmutter --out past
        """
        args = parse_argstring(self.sfoutages, line)
        out = variable_name(args.out)
        with usage_errors("Reading the outages"):
            frame = outage_table(*args.resources, planned=args.planned)
        self.store(out, frame)
        return frame


def _interval(text: str | None) -> float:
    if text is None:
        from ..status import STATUS_INTERVAL

        return STATUS_INTERVAL
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise UsageError(f"--interval takes a number of seconds above 0, not {text!r}")
    return value
