"""Run a command on a machine: :func:`run_command` is what ``%sfrun`` shows.

The command runs in your home directory on a login node, through the API (it needs a red
client, as at NERSC). Its stdout, stderr and exit code are shown apart; a non-zero exit is
data, not an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from ..client import Client, CommandResult, Machine
from ..widgets.support import static_html
from ..widgets.support.lines import terminal_lines
from ._common import resolve_machine


@dataclass
class CommandOutput:
    """A command's result, with how it was run; shows stdout, stderr and the exit code apart.

    ``output`` (stdout), ``error`` (stderr), ``exit_code`` and ``ok`` are the result's.
    """

    command: str
    machine: str
    result: CommandResult

    @property
    def output(self) -> str:
        return self.result.output

    @property
    def error(self) -> str:
        return self.result.error

    @property
    def exit_code(self) -> int | None:
        return self.result.exit_code

    @property
    def ok(self) -> bool:
        return self.result.ok

    def _exit_text(self) -> str:
        if self.exit_code is None:
            return "finished" if self.ok else "failed (no exit code reported)"
        return f"exit code {self.exit_code}"

    def __repr__(self) -> str:
        return (
            f"CommandOutput(machine={self.machine!r}, command={self.command!r}, "
            f"exit_code={self.exit_code!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        lines = [f"$ {self.command}    ({self.machine}, {self._exit_text()})"]
        if self.output:
            lines += ["--- stdout ---", self.output.rstrip("\n")]
        if self.error:
            lines += ["--- stderr ---", self.error.rstrip("\n")]
        if not self.output and not self.error:
            lines.append("(no output)")
        printer.text("\n".join(lines))

    def _repr_html_(self) -> str:
        colour = static_html.MESSAGE_COLOURS["success" if self.ok else "error"]
        head = static_html.heading(
            f'<code data-testid="command">$ {escape(self.command)}</code>',
            static_html.muted(f"on {self.machine}"),
            f'<span data-testid="exit-code" style="font-weight:600;color:{colour}">'
            f"{escape(self._exit_text())}</span>",
        )
        body = static_html.pre(terminal_lines(self.output), label="stdout") if self.output else ""
        body += static_html.pre(terminal_lines(self.error), label="stderr") if self.error else ""
        if not body:
            body = static_html.muted("(no output)")
        # Not a widget: the box's fallback note does not apply.
        return static_html.box(head + body, kind="command-output").replace(static_html.note(), "")


def run_command(
    command: str,
    machine: str | Machine | None = None,
    *,
    client: Client | None = None,
    timeout: float | None = None,
) -> CommandOutput:
    """Run ``command`` (shell syntax) in your home on ``machine``; wait for it to end.

    Raises
    ------
    ValueError
        An empty command.
    AuthenticationError, PermissionDeniedError
        No key, or a client that may not run commands (a green one).
    MachineUnavailableError
        The machine is down.

    Examples
    --------
    >>> run_command("hostname; ls -1 | head -3")              # doctest: +SKIP
    """
    text = command.strip()
    if not text:
        raise ValueError("Give a command to run, e.g. %sfrun hostname")
    client, handle = resolve_machine(client, machine)
    result = handle.run(text, timeout=timeout)
    return CommandOutput(command=text, machine=handle.name, result=result)
