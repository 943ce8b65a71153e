"""Magic for HDF5 and EMD files read where they lie: ``%sfh5``."""

from __future__ import annotations

from typing import Any

from IPython.core.magic import line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from ._args import SfMagicsBase, later, machine_argument, unquote, usage_errors

h5_view = later(".h5_viewer", "h5_view")


@magics_class
class H5Magics(SfMagicsBase):
    """Look at HDF5/EMD files on a machine without downloading them."""

    @magic_arguments()
    @argument("path", metavar="PATH", help="The HDF5 or EMD file on the machine.")
    @machine_argument
    @argument(
        "--python",
        metavar="PYTHON",
        help="The Python with h5py and numpy to run there (default: the remote kernel "
        "environment, else the machine's python3).",
    )
    @line_magic
    def sfh5(self, line: str) -> Any:
        """Show an HDF5/EMD file's tree, slices of its datasets, and for a 4-D dataset the
        mean diffraction pattern with a detector to drag and its virtual image.

        Examples
        --------
        In [1]: %sfh5 /pscratch/sd/e/elvis/scan_0042.h5
        In [2]: %sfh5 ~/data/tutorial.emd -m perlmutter --python ~/envs/py4dstem/bin/python
        """
        args = parse_argstring(self.sfh5, line)
        path = unquote(args.path)
        with usage_errors(f"Opening {path}"):
            return h5_view(path, args.machine, python=args.python)
