"""Magic for transfers: ``%sftransfer``."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import (
    SfMagicsBase,
    later,
    out_argument,
    timeout_seconds,
    unquote,
    usage_errors,
    variable_name,
)

show = later(".controllers", "show")
start_transfer = later(".transfer", "start_transfer")
wait_for_transfer = later(".transfer", "wait_for_transfer")


@magics_class
class TransferMagics(SfMagicsBase):
    """Move data between NERSC's machines with Globus-shaped transfers."""

    @magic_arguments()
    @argument(
        "source",
        metavar="SRC_MACHINE:PATH",
        help="The file or directory to copy, e.g. perlmutter:/pscratch/run1.",
    )
    @argument(
        "target",
        metavar="DST_MACHINE:PATH",
        help="The directory to copy it into, e.g. dtns:/global/cfs/m1234.",
    )
    @argument("--label", default="", help="A name for the transfer, shown on its card.")
    @argument(
        "--wait",
        action="store_true",
        help="Block until the transfer ends; the card keeps updating meanwhile.",
    )
    @argument(
        "--timeout",
        metavar="S",
        help="Wait at most S seconds (implies --wait); the transfer goes on.",
    )
    @out_argument(what="the transfer")
    @line_magic
    def sftransfer(self, line: str) -> Any:
        """Copy a file or directory from one machine to another, with a live progress card.

        The card shows the transfer's state, files and bytes done, the rate and the time
        left, until it ends. Machines: perlmutter, dtns, dtn01.

        Examples
        --------
        In [1]: %sftransfer perlmutter:/pscratch/sd/e/elvis/run1 dtns:/global/cfs/cdirs/m1234
        In [2]: %sftransfer perlmutter:run1/out.h5 dtn01:results --wait --out t
        """
        args = parse_argstring(self.sftransfer, line)
        out = variable_name(args.out)
        timeout = timeout_seconds(args.timeout)
        source, target = unquote(args.source), unquote(args.target)
        with usage_errors("Starting the transfer"):
            transfer, card = start_transfer(source, target, label=unquote(args.label))
        self.store(out, transfer)
        if not (args.wait or timeout is not None):
            return card
        show(card)
        with usage_errors(f"Waiting for transfer {transfer.transfer_id}"):
            ended = wait_for_transfer(transfer, timeout, card=card)
        if not ended:
            print(  # noqa: T201
                f"Transfer {transfer.transfer_id} is still {transfer.state.value}; "
                "the card keeps updating."
            )
        return None
