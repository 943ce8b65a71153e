"""Magic for the submit form: ``%sfsubmit``."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import (
    SfMagicsBase,
    later,
    machine_argument,
    out_argument,
    unquote,
    usage_errors,
    variable_name,
)

submit_form = later(".submit_form", "submit_form")


@magics_class
class SubmitFormMagics(SfMagicsBase):
    """Edit, check and submit a batch script in a form."""

    @magic_arguments()
    @argument(
        "path",
        nargs="?",
        metavar="SCRIPT_PATH",
        help="A local batch script to start from (default: a template).",
    )
    @machine_argument
    @out_argument(what="the form")
    @line_magic
    def sfsubmit(self, line: str) -> Any:
        """Show a form to edit, check and submit a batch script.

        The fields (machine, account, QOS, constraint, nodes, time, job name) and the
        script's ``#SBATCH`` lines follow each other both ways. Before submit the form shows
        the script's problems, the machine's status and outages, and what the job costs in
        node-hours against the project's balance. Submitting turns the form into the job's
        live card; "Edit and submit again" brings the script back.

        Examples
        --------
        In [1]: %sfsubmit
        In [2]: %sfsubmit recon.sbatch -m perlmutter --out form
        """
        args = parse_argstring(self.sfsubmit, line)
        out = variable_name(args.out)
        path = unquote(args.path) if args.path else None
        with usage_errors("Opening the submit form"):
            form = submit_form(machine=args.machine, path=path)
        self.store(out, form)
        return form
