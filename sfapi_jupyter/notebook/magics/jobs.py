"""Magics for jobs: ``%%sfjob`` submits the cell, ``%sfjob`` follows a job, ``%sfcancel``."""

from __future__ import annotations

from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import (
    SfMagicsBase,
    jobid_argument,
    later,
    machine_argument,
    out_argument,
    timeout_seconds,
    unquote,
    usage_errors,
    variable_name,
)

show = later(".controllers", "show")
job_card = later(".jobs", "job_card")
submit_job = later(".submit", "submit_job")
cancel_jobs = later(".waiting", "cancel_jobs")
wait_for_job = later(".waiting", "wait_for_job")


#: ``--watch PATTERN``: the frames a job writes, shown in its card as they appear.
watch_argument = argument(
    "--watch",
    metavar="PATTERN",
    help="Show each new PNG, JPEG or .npy file matching PATTERN (e.g. 'out/iter_*.npy', "
    "relative to the job's working directory) in the card as the job writes it.",
)


def watch_pattern(text: str | None) -> str | None:
    """The ``--watch`` pattern without the quotes a user writes around it in a magic line."""
    return None if text is None else unquote(text)


@magics_class
class JobMagics(SfMagicsBase):
    """Submit, follow and cancel jobs through NERSC's Superfacility API."""

    @magic_arguments(name="sfjob")
    @machine_argument
    @out_argument("job", "the job")
    @argument(
        "--wait",
        action="store_true",
        help="Block until the job ends; the card keeps updating meanwhile.",
    )
    @argument(
        "--timeout",
        metavar="S",
        help="Wait at most S seconds (implies --wait); the job keeps running.",
    )
    @argument(
        "--once",
        action="store_true",
        help="If this cell's script already made a job that has not ended, follow "
        "that job instead of submitting again.",
    )
    @watch_argument
    @argument(
        "--args",
        nargs="...",
        default=[],
        help="Everything after --args is passed to the script as its arguments.",
    )
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

        In [2]: %%sfjob --watch 'out/phase_*.npy'
           ...: #!/bin/bash
           ...: #SBATCH -C gpu -q debug -t 00:30:00
           ...: srun python reconstruct.py --save-every 10 --out out/

        In [3]: %%sfjob -m perlmutter --out run --args input.h5 10
           ...: #!/bin/bash
           ...: #SBATCH -C gpu -t 01:00:00
           ...: srun python analyse.py "$@"
        """
        args = parse_argstring(self.sfjob_cell, line)
        out = variable_name(args.out)
        timeout = timeout_seconds(args.timeout)
        if not cell.strip():
            raise UsageError(
                "%%sfjob needs a batch script in the cell, starting with '#!/bin/bash'"
            )
        with usage_errors("Submitting the job"):
            job, card = submit_job(
                cell,
                args.machine,
                args=[unquote(a) for a in args.args] or None,
                once=args.once,
                watch=watch_pattern(args.watch),
            )
        self.store(out, job)
        if not (args.wait or timeout is not None):
            return card
        show(card)
        with usage_errors(f"Waiting for job {job.jobid}"):
            ended = wait_for_job(job, timeout, card=card)
        if not ended:
            print(f"Job {job.jobid} is still {job.state.value}; the card keeps updating.")  # noqa: T201
        return None

    @magic_arguments(name="sfjob")
    @argument("jobid", help="The job's id, e.g. 12345 (or 12345_7 for one task of an array).")
    @machine_argument
    @watch_argument
    @line_magic("sfjob")  # type: ignore[arg-type]
    def sfjob_line(self, line: str) -> Any:
        """Show a live card of an existing job.

        Jobs submitted from a notebook are found again after a kernel restart, output files
        included.

        Examples
        --------
        In [1]: %sfjob 12345
        In [2]: %sfjob 12345 -m perlmutter
        In [3]: %sfjob 12345 --watch 'out/iter_*.npy'
        """
        args = parse_argstring(self.sfjob_line, line)
        jobid = jobid_argument(args.jobid)
        with usage_errors(f"Following job {jobid}"):
            return job_card(jobid, args.machine, watch=watch_pattern(args.watch))

    @magic_arguments()
    @argument("jobids", nargs="+", metavar="JOBID", help="The ids of the jobs to cancel.")
    @machine_argument
    @line_magic
    def sfcancel(self, line: str) -> Any:
        """Cancel jobs, and show the state each one ended in.

        Examples
        --------
        In [1]: %sfcancel 12345
        In [2]: %sfcancel 12345 12346 -m perlmutter
        """
        args = parse_argstring(self.sfcancel, line)
        ids = [jobid_argument(j) for j in args.jobids]
        with usage_errors("Cancelling"):
            return cancel_jobs(ids, args.machine)
