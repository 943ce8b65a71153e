"""Magics for remote files: ``%sfls``, ``%sfget``, ``%sfput``."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from IPython.core.error import UsageError
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

file_browser = later(".file_browser", "file_browser")
get_file = later(".files", "get_file")
put_file = later(".files", "put_file")

force_argument = argument(
    "-f",
    "--force",
    action="store_true",
    help="Replace the file if it already exists (without it, an existing file is kept).",
)


@contextlib.contextmanager
def file_errors(what: str) -> Iterator[None]:
    """Local file problems (missing, exists, a directory) as one line, like API errors."""
    with usage_errors(what):
        try:
            yield
        except (FileExistsError, FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            raise UsageError(f"{what} failed: {exc.args[-1] if exc.args else exc}") from None


@magics_class
class FileMagics(SfMagicsBase):
    """Browse, download and upload files on a machine."""

    @magic_arguments()
    @argument(
        "path",
        nargs="?",
        default=None,
        help="The directory to open (or a file: its directory, with it selected); "
        "absolute, ~/..., or relative to your home. Default: your home.",
    )
    @machine_argument
    @out_argument(what="the browser")
    @line_magic
    def sfls(self, line: str) -> Any:
        """Browse a directory on a machine: a live file browser.

        Enter directories, sort and filter, preview text, images and .npy arrays, download
        to the kernel's working directory and upload from it. ``browser.selected`` holds
        the selected paths.

        Examples
        --------
        In [1]: %sfls
        In [2]: %sfls ~/examples -m perlmutter --out browser
        """
        args = parse_argstring(self.sfls, line)
        out = variable_name(args.out)
        path = unquote(args.path) if args.path else None
        with file_errors("Listing " + (path or "your home")):
            browser = file_browser(path, machine=args.machine)
        self.store(out, browser)
        return browser

    @magic_arguments()
    @argument("remote", help="The file on the machine (absolute, ~/..., or relative to your home).")
    @argument(
        "local",
        nargs="?",
        default=None,
        help="Where to save it (a file or a directory); default: its name here.",
    )
    @machine_argument
    @force_argument
    @line_magic
    def sfget(self, line: str) -> Any:
        """Download a file from a machine, with a progress bar.

        An existing local file is kept unless --force; the file appears whole or not at all.
        Files over the API's size limit need a transfer instead (%sftransfer).

        Examples
        --------
        In [1]: %sfget ~/examples/detector.png
        In [2]: %sfget /pscratch/sd/e/elvis/run42/result.npy results/ --force
        """
        args = parse_argstring(self.sfget, line)
        remote = unquote(args.remote)
        local = unquote(args.local) if args.local else None
        with file_errors(f"Downloading {remote}"):
            get_file(remote, local, machine=args.machine, force=args.force)

    @magic_arguments()
    @argument("local", help="The local file (relative to the kernel's working directory).")
    @argument("remote", help="Where to put it: a file path, or a directory to put it in.")
    @machine_argument
    @force_argument
    @line_magic
    def sfput(self, line: str) -> Any:
        """Upload a file to a machine, with a progress bar.

        An existing remote file is kept unless --force. Files over the API's size limit
        need a transfer instead (%sftransfer).

        Examples
        --------
        In [1]: %sfput scan_0042.npy ~/data/
        In [2]: %sfput params.json ~/run42/params.json --force
        """
        args = parse_argstring(self.sfput, line)
        local, remote = unquote(args.local), unquote(args.remote)
        with file_errors(f"Uploading {local}"):
            put_file(local, remote, machine=args.machine, force=args.force)
