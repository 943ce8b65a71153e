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
    @argument(
        "--job",
        nargs="?",
        const=True,
        default=None,
        metavar="SBATCH_OPTIONS",
        help="Run each question as a short batch job (for large data), with these sbatch "
        "options after the defaults (NERSC's debug QOS on one CPU node for 10 minutes), e.g. "
        "--job '-q shared -t 20'. The job's card shows above the viewer.",
    )
    @line_magic
    def sfh5(self, line: str) -> Any:
        """Show an HDF5/EMD file's tree, slices of its datasets, and for a 4-D dataset the
        mean diffraction pattern with a detector to drag and its virtual image.

        Examples
        --------
        In [1]: %sfh5 /pscratch/sd/e/elvis/scan_0042.h5
        In [2]: %sfh5 ~/data/tutorial.emd -m perlmutter --python ~/envs/py4dstem/bin/python
        In [3]: %sfh5 /pscratch/sd/e/elvis/big_scan.h5 --job '-q shared -A m1234'
        """
        args = parse_argstring(self.sfh5, line)
        path = unquote(args.path)
        job = unquote(args.job) if isinstance(args.job, str) else args.job
        with usage_errors(f"Opening {path}"):
            viewer = h5_view(path, args.machine, python=args.python, job=job)
        if job is not None:
            # Above the viewer (the cell's result), once the first job has its id: one card,
            # following each question's job.
            from IPython.display import HTML, display

            place = display(HTML(""), display_id=True)
            if place is not None:
                viewer.on_job_card = place.update
                if viewer.job_card is not None:
                    place.update(viewer.job_card)
        return viewer
