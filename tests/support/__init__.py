"""Helpers shared by the test suites: one copy each, imported as ``tests.support.<module>``.

``facility``       a fast local facility config, a state directory its OS accounts can
                   reach, clients for it (async and sync); served facilities that remember
                   the secrets they hand out, a counting transport
``scripts``        the one batch-script builder
``tokens``         private_key_jwt assertions and tokens, as authlib (and sfapi_client) make them
``waiting``        polling until a condition holds (sync and async)
``figures``        figures and bad inputs recorded for ``make reliability`` and docs/bad-inputs.md
``kernel``         a real IPython kernel in a subprocess (restarts; magics as a user runs them)
``secrets_scan``   looking for access tokens and key material in files
``serve_process``  a facility in a process of its own, with clients made before it serves
``slurm``          skip without Slurm, unless CI requires it (``SFAPI_REQUIRE_SLURM=1``)
``request_log``    what a facility received: every API request counted where it arrived
``jupyter_api``    a Jupyter server's REST API, called with its user's token
"""
