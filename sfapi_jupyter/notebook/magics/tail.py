"""Magic for following files: ``%sftail``."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import SfMagicsBase, jobid_argument, later, machine_argument, unquote, usage_errors

log_tail = later(".tail", "log_tail")


@magics_class
class TailMagics(SfMagicsBase):
    """Follow remote files and job output as they are written."""

    @magic_arguments()
    @argument(
        "target",
        metavar="JOBID|PATH",
        help="A job id (to follow its output) or a path on the machine.",
    )
    @machine_argument
    @argument(
        "-n",
        "--lines",
        type=int,
        metavar="LINES",
        help="Start with the last LINES lines instead of the whole file.",
    )
    @argument(
        "--no-follow",
        action="store_true",
        help="Read the file once instead of following it as it grows.",
    )
    @line_magic
    def sftail(self, line: str) -> Any:
        """Follow a job's output, or any remote file, as it is written.

        A job's output files come from its ``#SBATCH --output``/``--error`` (recorded when
        it was submitted from a notebook) or Slurm's default ``slurm-<jobid>.out``. A job's
        files are followed until it ends.

        Examples
        --------
        In [1]: %sftail 12345
        In [2]: %sftail /pscratch/sd/e/elvis/run.log -n 20 --no-follow
        """
        args = parse_argstring(self.sftail, line)
        if args.lines is not None and args.lines < 1:
            raise UsageError(f"-n takes a number of lines above 0, not {args.lines}")
        target = unquote(args.target)
        if target.replace("_", "").isdigit():
            target = jobid_argument(target)
        with usage_errors(f"Following {target}"):
            return log_tail(target, args.machine, lines=args.lines, follow=not args.no_follow)
