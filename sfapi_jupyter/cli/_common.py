"""What every command module of the CLI shares, without importing the facility."""

from __future__ import annotations

#: The resource statuses ``facility status set`` accepts.
STATUSES = ("active", "degraded", "unavailable", "other")


class CliError(Exception):
    """A bad command line or a failed command; printed as one line, exit status 2."""
