"""``sfapi-jupyter install-kernel``: a Jupyter kernel with the magics loaded at start.

The usual ``python -m ipykernel install --user --name sfapi`` step, plus
``--IPKernelApp.extra_extensions`` (``--ext``) so that ``%%sfjob`` and friends work in the
first cell. Layered like ipykernel's own installer, and built on its machinery:

    command (argv)  ->  kernel dict  ->  kernelspec written to a temporary dir  ->  installed
    kernel_argv()       kernel_dict()    write_spec()                              install_kernel()

``ipykernel.kernelspec`` makes the argv and the spec directory (with its logos);
``jupyter_client.kernelspec.KernelSpecManager`` installs, lists and removes it. Where a spec
goes: ``--user`` (the default) is the user's Jupyter data directory, ``--sys-prefix`` this
environment's ``share/jupyter``, ``--prefix DIR`` another environment's.

``install-kernel --remote MACHINE`` does the same set-up on a machine through the API; see
:mod:`sfapi_jupyter.cli.kernel_remote`. The parser is in :mod:`sfapi_jupyter.cli`.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from ._common import CliError

#: The package name IPython loads as an extension (``%load_ext sfapi_jupyter``).
EXTENSION = "sfapi_jupyter"
DEFAULT_NAME = "sfapi"
DEFAULT_DISPLAY_NAME = "Python (SF API)"


class KernelInstallError(CliError):
    """A kernel could not be installed, listed or removed; the message says what to do."""


def _kernelspec_module() -> Any:
    try:
        import ipykernel.kernelspec as kernelspec
    except ImportError:
        raise KernelInstallError(
            "ipykernel is not installed in this environment; install it with: "
            f"{sys.executable} -m pip install ipykernel"
        ) from None
    return kernelspec


def _manager() -> Any:
    from jupyter_client.kernelspec import KernelSpecManager

    return KernelSpecManager()


def parse_env(pairs: Sequence[str] | None) -> dict[str, str]:
    """``["KEY=VALUE", ...]`` as a dict; a pair without ``=`` is refused."""
    env: dict[str, str] = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise KernelInstallError(f"--env {pair!r}: expected KEY=VALUE")
        env[key.strip()] = value
    return env


# -- layer 1: the command -------------------------------------------------------------------------
def kernel_arguments() -> list[str]:
    """The IPKernelApp options that load the extension before the first cell runs."""
    return [f"--IPKernelApp.extra_extensions={EXTENSION}"]


def python_arguments() -> list[str]:
    """Like ``ipykernel install``: no frozen modules on CPython (keeps the debugger quiet)."""
    return ["-Xfrozen_modules=off"] if platform.python_implementation() == "CPython" else []


def kernel_argv(executable: str | None = None) -> list[str]:
    """``python -m ipykernel_launcher -f {connection_file} --IPKernelApp.extra_extensions=...``."""
    return list(
        _kernelspec_module().make_ipkernel_cmd(
            executable=executable,
            extra_arguments=kernel_arguments(),
            python_arguments=python_arguments(),
        )
    )


# -- layer 2: the kernel dict ---------------------------------------------------------------------
def kernel_dict(
    display_name: str = DEFAULT_DISPLAY_NAME, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The kernel.json content: ipykernel's dict with our argv, name, env and metadata."""
    spec = dict(
        _kernelspec_module().get_kernel_dict(
            extra_arguments=kernel_arguments(), python_arguments=python_arguments()
        )
    )
    spec.update(_overrides(display_name, env))
    return spec


def _overrides(display_name: str, env: Mapping[str, str] | None) -> dict[str, Any]:
    overrides: dict[str, Any] = {
        "display_name": display_name,
        "metadata": {"debugger": True, "sfapi_jupyter": {"extension": EXTENSION}},
    }
    if env:
        overrides["env"] = dict(env)
    return overrides


# -- layer 3: the spec directory ------------------------------------------------------------------
def write_spec(
    path: Path | None = None,
    display_name: str = DEFAULT_DISPLAY_NAME,
    env: Mapping[str, str] | None = None,
) -> Path:
    """Write kernel.json and ipykernel's logos into ``path`` (a new temporary dir by default)."""
    written = _kernelspec_module().write_kernel_spec(
        path=path,
        overrides=_overrides(display_name, env),
        extra_arguments=kernel_arguments(),
        python_arguments=python_arguments(),
    )
    return Path(written)


# -- layer 4: install, list, remove ---------------------------------------------------------------
def install_kernel(
    name: str = DEFAULT_NAME,
    display_name: str = DEFAULT_DISPLAY_NAME,
    *,
    env: Mapping[str, str] | None = None,
    user: bool = True,
    prefix: str | Path | None = None,
) -> Path:
    """Install the kernelspec; return the directory it was installed to.

    ``user=True`` (the default) installs into the user's Jupyter data directory, ``prefix``
    into ``PREFIX/share/jupyter/kernels``; an existing spec of the same name is replaced.
    """
    check_name(name)
    source = write_spec(display_name=display_name, env=env)
    try:
        installed = _manager().install_kernel_spec(
            str(source),
            kernel_name=name,
            user=user and prefix is None,
            prefix=None if prefix is None else str(prefix),
        )
    except PermissionError as exc:
        raise KernelInstallError(
            f"Cannot write the kernel {name!r} to {exc.filename}: permission denied; "
            "use --user, or --prefix DIR for a directory you can write"
        ) from None
    finally:
        shutil.rmtree(source, ignore_errors=True)
    return Path(installed)


def check_name(name: str) -> None:
    from jupyter_client.kernelspec import _is_valid_kernel_name

    if not _is_valid_kernel_name(name):
        raise KernelInstallError(
            f"Kernel name {name!r} is not valid: use letters, digits, '.', '_' and '-'"
        )


def uninstall_kernel(name: str) -> Path:
    """Remove an installed kernelspec by name; return where it was."""
    try:
        return Path(_manager().remove_kernel_spec(name))
    except KeyError:
        raise KernelInstallError(
            f"No kernel named {name!r}; `sfapi-jupyter list-kernels` shows the installed ones"
        ) from None
    except PermissionError as exc:
        raise KernelInstallError(
            f"Cannot remove the kernel {name!r} from {exc.filename}: permission denied"
        ) from None


def list_kernels() -> dict[str, dict[str, Any]]:
    """Every kernelspec Jupyter finds: name -> {"resource_dir", "spec"}."""
    return dict(sorted(_manager().get_all_specs().items()))


def loads_extension(spec: Mapping[str, Any]) -> bool:
    """Whether a kernelspec (its kernel.json dict) starts with the magics loaded."""
    return any(
        arg in ("--ext", f"--ext={EXTENSION}") or arg.endswith(f"extensions={EXTENSION}")
        for arg in spec.get("argv", [])
    )


# -- the commands ---------------------------------------------------------------------------------
def cmd_install_kernel(args: argparse.Namespace) -> int:
    """``install-kernel`` here (``--remote`` goes to :mod:`.kernel_remote`)."""
    env = parse_env(args.env)
    if args.venv or args.spec:
        raise KernelInstallError("--venv and --spec go with --remote MACHINE")
    prefix = sys.prefix if args.sys_prefix else args.prefix
    path = install_kernel(args.name, args.display_name, env=env, prefix=prefix)
    print(f"Installed kernel {args.name!r} ({args.display_name}) in {path}")
    print(f"  python: {sys.executable}; the sfapi_jupyter magics load when it starts")
    if env:
        print(f"  environment: {', '.join(sorted(env))}")
    return 0


def cmd_uninstall_kernel(args: argparse.Namespace) -> int:
    path = uninstall_kernel(args.name)
    print(f"Removed kernel {args.name!r} from {path}")
    return 0


def cmd_list_kernels(_args: argparse.Namespace) -> int:
    kernels = list_kernels()
    if not kernels:
        print("No Jupyter kernels found.")
        return 0
    width = max(len(name) for name in kernels)
    for name, found in kernels.items():
        spec = found.get("spec", {})
        magics = "  [sfapi magics]" if loads_extension(spec) else ""
        print(
            f"{name:<{width}}  {spec.get('display_name', '')!s:<24} {found['resource_dir']}{magics}"
        )
    return 0
