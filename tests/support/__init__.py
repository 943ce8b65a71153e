"""Helpers shared by the test suites: facilities, clients, figures and the secret scan.

Everything here uses only the public API (``sfapi_jupyter``, ``sfapi_jupyter.client``,
``sfapi_jupyter.facility``, the ``sfapi-jupyter`` command and ``%load_ext sfapi_jupyter``), so
the suites that import it survive moves inside the package.
"""
