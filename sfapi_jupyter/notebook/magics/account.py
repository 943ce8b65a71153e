"""Magic for the account: ``%sfaccount``."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import magic_arguments, parse_argstring

from ._args import SfMagicsBase, later, out_argument, usage_errors, variable_name

account_view = later(".account", "account_view")


@magics_class
class AccountMagics(SfMagicsBase):
    """Your projects' allocation and your API client's state."""

    @magic_arguments()
    @out_argument(what="the account view (its .dataframe holds the projects)")
    @line_magic
    def sfaccount(self, line: str) -> Any:
        """Show who you are, your projects' CPU and GPU node-hours, and your API client.

        The client's security level, IP ranges and expiry are shown with warnings before
        they bite: a green client cannot submit jobs or run commands, and a client that
        expires within 7 days is flagged. ``--out VAR`` binds the view; ``VAR.dataframe``
        is the projects as a pandas DataFrame.

        Examples
        --------
        In [1]: %sfaccount
        In [2]: %sfaccount --out account
        In [3]: account.dataframe
        """
        args = parse_argstring(self.sfaccount, line)
        out = variable_name(args.out)
        with usage_errors("Reading the account"):
            view = account_view()
        self.store(out, view)
        return view
