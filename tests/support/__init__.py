"""Helpers shared by the test suites: one copy each, imported as ``tests.support.<module>``.

``facility``  a fast local facility config, clients for it (async and sync)
``scripts``   the one batch-script builder
``tokens``    private_key_jwt assertions and tokens, as authlib (and sfapi_client) make them
``waiting``   polling until a condition holds (sync and async)
"""
