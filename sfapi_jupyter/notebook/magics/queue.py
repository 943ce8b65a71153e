"""Magic for the queue: ``%sfjobs``."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import SfMagicsBase, later, machine_argument, out_argument, usage_errors, variable_name

queue_table = later(".queue", "queue_table")


@magics_class
class QueueMagics(SfMagicsBase):
    """List your jobs in the queue, live."""

    @magic_arguments()
    @machine_argument
    @argument(
        "--all",
        action="store_true",
        dest="all_users",
        help="Show every user's jobs, not only yours.",
    )
    @out_argument(what="the table")
    @line_magic
    def sfjobs(self, line: str) -> Any:
        """Show a live table of your jobs in the queue, and of those that ended.

        Jobs submitted from notebooks here are listed even after a kernel restart. Select
        rows and press cancel to cancel them.

        Examples
        --------
        In [1]: %sfjobs
        In [2]: %sfjobs -m perlmutter --all --out queue
        """
        args = parse_argstring(self.sfjobs, line)
        out = variable_name(args.out)
        with usage_errors("Listing the jobs"):
            table = queue_table(args.machine, all_users=args.all_users)
        self.store(out, table)
        return table
