"""What the magics share: their arguments (declared once), input checks and error display.

Every magic is a thin wrapper over a function of :mod:`sfapi_jupyter.notebook` that works
without IPython. Mistakes in the input raise ``UsageError`` (one clear line, no traceback),
and so do errors of the API.
"""

from __future__ import annotations

import contextlib
import importlib
import math
from collections.abc import Callable, Iterator
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics
from IPython.core.magic_arguments import argument


def later(module: str, name: str) -> Callable[..., Any]:
    """The function ``name`` of ``sfapi_jupyter.notebook.<module>``, imported at its first
    call: ``%load_ext`` registers the magics without importing the client, the widgets and
    their dependencies (the first magic run pays for what it uses)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        function = getattr(importlib.import_module(module, "sfapi_jupyter.notebook"), name)
        return function(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    return call


#: ``-m/--machine``, the same for every magic that reaches a machine.
machine_argument = argument(
    "-m",
    "--machine",
    metavar="MACHINE",
    help="The machine; the default is $SFAPI_MACHINE, else perlmutter.",
)


def out_argument(default: str | None = None, what: str = "the result") -> argument:
    """``--out VAR``: bind what the magic returns to a variable of the notebook."""
    text = f"Store {what} in this variable" + (f" (default `{default}`)." if default else ".")
    return argument("--out", default=default, metavar="VAR", help=text)


@contextlib.contextmanager
def usage_errors(what: str) -> Iterator[None]:
    """Bad input and API errors as ``UsageError``: a short message instead of a traceback."""
    try:
        yield
    except Exception as exc:
        from ...client import BadScriptError, SfApiError

        if isinstance(exc, BadScriptError):
            raise UsageError(exc.message) from None
        if isinstance(exc, ValueError):
            raise UsageError(str(exc)) from None
        if isinstance(exc, SfApiError):
            raise UsageError(f"{what} failed: {exc.message}") from None
        raise


def timeout_seconds(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise UsageError(f"--timeout takes a number of seconds above 0, not {text!r}")
    return value


def jobid_argument(text: str) -> str:
    from .._common import check_jobid

    try:
        return check_jobid(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def unquote(word: str) -> str:
    # parse_argstring splits like a shell but keeps the quotes (posix=False).
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "'\"":
        return word[1:-1]
    return word


def variable_name(name: str | None) -> str | None:
    """``--out``'s value, checked before the magic does anything (so nothing is lost)."""
    if name is not None and not name.isidentifier():
        raise UsageError(f"--out takes a Python variable name, not {name!r}")
    return name


class SfMagicsBase(Magics):
    """The notebook's namespace, for ``--out``."""

    def store(self, name: str | None, value: Any) -> None:
        """``name = value`` in the notebook, if ``--out`` named one (see :func:`variable_name`)."""
        if name is None:
            return
        assert self.shell is not None, "the magics are used without a shell"
        self.shell.user_ns[name] = value
