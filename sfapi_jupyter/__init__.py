"""sfapi_jupyter: NERSC's Superfacility API inside the Jupyter notebook."""

from ._version import __version__

__all__ = ["__version__"]
