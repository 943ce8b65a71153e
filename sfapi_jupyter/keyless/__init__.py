"""Keyless mode: the same client, magics and widgets, driven by this node's own Slurm.

Where the kernel runs on a machine whose Slurm commands work as the user (NERSC's
JupyterHub, a login node), no API key is needed to submit, watch and cancel jobs or to
read and write one's own files. This layer gives the client (:mod:`sfapi_jupyter.client`)
a transport that answers its SF API requests in-process with the local facility's own
routes and ``slurm`` backend (:mod:`sfapi_jupyter.facility.host_user`) as the user, with
no token: one implementation of Slurm's semantics, and a client that does not change.
Public status (``/status``) still goes to the real API, which knows of outages.

It is the one layer that may import both the client and the facility
(``client`` ← ``keyless`` ← ``widgets`` ← ``notebook`` ← ``cli``); it needs the
``facility`` extra (``pip install 'sfapi_jupyter[facility]'``). Importing it registers the
transport with the client (:func:`sfapi_jupyter.client._transport.register_local_transport`);
the package's front door (``from sfapi_jupyter import Client``) and the notebook do.

>>> from sfapi_jupyter import Client
>>> client = Client(transport="slurm")                # doctest: +SKIP
sfapi_jupyter: keyless: jobs and files go through this node's Slurm as alice ...
"""

from __future__ import annotations

from ..client._transport import register_local_transport
from ._select import KeylessError, keyless_transport, provide

register_local_transport(provide)

__all__ = ["KeylessError", "keyless_transport", "provide"]
