"""The fixtures of tests/server (defined in fixtures.py, shared with tests/reliability)."""

from .fixtures import api_log, elvis, facility, jupyter, keyless_jupyter

__all__ = ["api_log", "elvis", "facility", "jupyter", "keyless_jupyter"]
