"""IPython magics for jobs: ``%%sfjob``, ``%sfjob``, ``%sfjobs``, ``%sftail``, ``%sfcancel``.

Load them with ``%load_ext sfapi_jupyter``. Each is a thin wrapper over a function of
:mod:`sfapi_jupyter.live`, which works without IPython. Mistakes in the input raise
``UsageError`` (one clear message, no traceback), and so do errors of the API.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from . import live
from .client import BadScriptError, SfApiError


@contextlib.contextmanager
def _usage_errors(what: str) -> Iterator[None]:
    """Bad input and API errors as ``UsageError``: a short message instead of a traceback."""
    try:
        yield
    except BadScriptError as exc:
        raise UsageError(exc.message) from None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    except SfApiError as exc:
        raise UsageError(f"{what} failed: {exc.message}") from None


def _timeout(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"--timeout takes a number of seconds above 0, not {text!r}")
    return value


def _jobid(text: str) -> str:
    try:
        return live.check_jobid(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _unquote(word: str) -> str:
    # parse_argstring splits like a shell but keeps the quotes (posix=False).
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def _identifier(name: str) -> str:
    if not name.isidentifier():
        raise UsageError(f"--out takes a Python variable name, not {name!r}")
    return name


@magics_class
class SfMagics(Magics):
    """Submit, follow, list, tail and cancel jobs through NERSC's Superfacility API."""

    def _user_ns(self) -> dict[str, Any]:
        assert self.shell is not None, "the magics are used without a shell"
        namespace: dict[str, Any] = self.shell.user_ns
        return namespace

    @magic_arguments(name="sfjob")
    @argument(
        "-m", "--machine", help="The machine to submit to; default $SFAPI_MACHINE or perlmutter."
    )
    @argument("--out", default="job", metavar="VAR",
              help="The variable the job is stored in; the default is `job`.")  # fmt: skip
    @argument("--wait", action="store_true",
              help="Block until the job ends; the card keeps updating meanwhile.")  # fmt: skip
    @argument("--timeout", metavar="S",
              help="Wait at most S seconds (implies --wait); the job keeps running.")  # fmt: skip
    @argument("--once", action="store_true",
              help="If this cell's script already made a job that has not ended, follow "
                   "that job instead of submitting again.")  # fmt: skip
    @argument("--args", nargs="...", default=[],
              help="Everything after --args is passed to the script as its arguments.")  # fmt: skip
    @cell_magic("sfjob")  # type: ignore[arg-type]
    def sfjob_cell(self, line: str, cell: str) -> Any:
        """Submit the cell as a batch script and show a live card of the job.

        The script is checked first: errors (no ``#!`` line, a bad ``--time``, an unknown
        option) stop the submit with their line numbers, and warnings (``#SBATCH`` after a
        command, a missing ``-C``) are printed. So is a machine that is degraded or down, or
        a planned outage within the job's walltime. The job goes into ``job`` (or ``--out``).

        Examples
        --------
        In [1]: %%sfjob --wait
           ...: #!/bin/bash
           ...: #SBATCH -C cpu -q debug -t 00:05:00
           ...: srun hostname

        In [2]: %%sfjob -m perlmutter --out run --args input.h5 10
           ...: #!/bin/bash
           ...: #SBATCH -C gpu -t 01:00:00
           ...: srun python analyse.py "$@"
        """
        args = parse_argstring(self.sfjob_cell, line)
        out = _identifier(args.out)
        timeout = _timeout(args.timeout)
        if not cell.strip():
            raise UsageError(
                "%%sfjob needs a batch script in the cell, starting with '#!/bin/bash'"
            )
        with _usage_errors("Submitting the job"):
            job, card = live.submit_job(
                cell, args.machine, args=[_unquote(a) for a in args.args] or None, once=args.once
            )
        self._user_ns()[out] = job
        if not (args.wait or timeout is not None):
            return card
        live.show(card)
        with _usage_errors(f"Waiting for job {job.jobid}"):
            ended = live.wait_for_job(job, timeout, card=card)
        if not ended:
            print(f"Job {job.jobid} is still {job.state.value}; the card keeps updating.")  # noqa: T201
        return None

    @magic_arguments(name="sfjob")
    @argument("jobid", help="The job's id, e.g. 12345 (or 12345_7 for one task of an array).")
    @argument("-m", "--machine", help="The job's machine; default $SFAPI_MACHINE or perlmutter.")
    @line_magic("sfjob")  # type: ignore[arg-type]
    def sfjob_line(self, line: str) -> Any:
        """Show a live card of an existing job.

        Jobs submitted from a notebook are found again after a kernel restart, output files
        included.

        Examples
        --------
        In [1]: %sfjob 12345
        In [2]: %sfjob 12345 -m perlmutter
        """
        args = parse_argstring(self.sfjob_line, line)
        jobid = _jobid(args.jobid)
        with _usage_errors(f"Following job {jobid}"):
            return live.job_card(jobid, args.machine)

    @magic_arguments()
    @argument("-m", "--machine", help="The machine; default $SFAPI_MACHINE or perlmutter.")
    @argument("--all", action="store_true", dest="all_users",
              help="Show every user's jobs, not only yours.")  # fmt: skip
    @argument("--out", metavar="VAR", help="Also store the table in this variable.")
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
        out = _identifier(args.out) if args.out else None
        with _usage_errors("Listing the jobs"):
            table = live.queue_table(args.machine, all_users=args.all_users)
        if out:
            self._user_ns()[out] = table
        return table

    @magic_arguments()
    @argument("target", metavar="JOBID|PATH",
              help="A job id (to follow its output) or a path on the machine.")  # fmt: skip
    @argument("-m", "--machine", help="The machine; default $SFAPI_MACHINE or perlmutter.")
    @argument("-n", "--lines", type=int, metavar="LINES",
              help="Start with the last LINES lines instead of the whole file.")  # fmt: skip
    @argument("--no-follow", action="store_true",
              help="Read the file once instead of following it as it grows.")  # fmt: skip
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
        target = _unquote(args.target)
        if target.replace("_", "").isdigit():
            target = _jobid(target)
        with _usage_errors(f"Following {target}"):
            return live.log_tail(target, args.machine, lines=args.lines,
                                 follow=not args.no_follow)  # fmt: skip

    @magic_arguments()
    @argument("jobids", nargs="+", metavar="JOBID", help="The ids of the jobs to cancel.")
    @argument("-m", "--machine", help="The jobs' machine; default $SFAPI_MACHINE or perlmutter.")
    @line_magic
    def sfcancel(self, line: str) -> Any:
        """Cancel jobs, and show the state each one ended in.

        Examples
        --------
        In [1]: %sfcancel 12345
        In [2]: %sfcancel 12345 12346 -m perlmutter
        """
        args = parse_argstring(self.sfcancel, line)
        ids = [_jobid(j) for j in args.jobids]
        with _usage_errors("Cancelling"):
            return live.cancel_jobs(ids, args.machine)


__all__ = ["SfMagics"]
