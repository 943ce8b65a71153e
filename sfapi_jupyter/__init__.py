"""sfapi_jupyter: NERSC's Superfacility API inside the Jupyter notebook.

>>> from sfapi_jupyter import Client
>>> with Client() as client:                         # doctest: +SKIP
...     client.status("perlmutter").status
"""

from ._version import __version__
from .client import AsyncClient, Client, JobState, SfApiError

__all__ = ["AsyncClient", "Client", "JobState", "SfApiError", "__version__"]
