"""Magic for commands: ``%sfrun``."""

from __future__ import annotations

import re
import sys
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import SfMagicsBase, later, machine_argument, out_argument, usage_errors, variable_name

run_command = later(".run", "run_command")


@magics_class
class RunMagics(SfMagicsBase):
    """Run a command on a machine."""

    @magic_arguments()
    @machine_argument
    @out_argument(what="the result (.output, .error, .exit_code)")
    @argument("command", nargs="...", help="The command, in shell syntax.")
    @line_magic
    def sfrun(self, line: str) -> Any:
        """Run a command in your home on the machine; show stdout, stderr and the exit code.

        Everything after the options is the command (quote it if it has options of its
        own that look like ours). It needs a red API client, as at NERSC.

        Examples
        --------
        In [1]: %sfrun hostname
        In [2]: %sfrun -m perlmutter --out r ls -l $SCRATCH
        """
        args = parse_argstring(self.sfrun, line)
        out = variable_name(args.out)
        command = _command_text(line, args.command)
        if not command:
            raise UsageError("%sfrun needs a command, e.g. %sfrun hostname")
        with usage_errors("Running the command"):
            try:
                result = run_command(command, args.machine)
            except KeyboardInterrupt:
                # The client cancelled the task on the way out: say so, then stop as asked.
                note = f"Interrupted: {command!r} was cancelled on the machine."
                print(note, file=sys.stderr)  # noqa: T201
                raise
        self.store(out, result)
        return result


_OPTION = re.compile(r"\s*(?:-m|--machine|--out)(?:\s+|=)\S+")


def _command_text(line: str, words: list[str]) -> str:
    """The command as typed (quotes and spacing kept), not as re-joined words."""
    if not words:
        return ""
    at = 0
    while match := _OPTION.match(line, at):
        at = match.end()
    return line[at:].strip()
