"""HDF5 (and EMD) files on the machine, read where they lie: ``machine.h5(path)``.

See ``docs/hdf5.md``: the tree, 2-D slices, the mean diffraction pattern and virtual
images of 4-D datasets, each computed there by one command (or, with ``job=``, one short
batch job), with only the result crossing the network.
"""

from .._errors import H5Error
from ._command import DEFAULT_PYTHONS, KERNEL_VENV
from ._file import (
    BLOCK_BYTES,
    MAX_PIXELS,
    AnnularDarkField,
    AsyncH5Dataset,
    AsyncH5File,
    BrightField,
    Detector,
    H5Image,
)
from ._job import DEFAULT_JOB, JOB_NAME
from ._tree import H5Node

__all__ = [
    "BLOCK_BYTES",
    "DEFAULT_JOB",
    "DEFAULT_PYTHONS",
    "JOB_NAME",
    "KERNEL_VENV",
    "MAX_PIXELS",
    "AnnularDarkField",
    "AsyncH5Dataset",
    "AsyncH5File",
    "BrightField",
    "Detector",
    "H5Error",
    "H5Image",
    "H5Node",
]
