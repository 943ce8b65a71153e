"""What a Jupyter admin can set (``c.SfApiServer.<name>`` in ``jupyter_server_config.py``)."""

from __future__ import annotations

from typing import Any

from traitlets import Float, Int, List, TraitError, Unicode, validate
from traitlets.config import Configurable

#: No view is asked of the API more often than this, whatever the admin sets.
HARD_FLOOR = 1.0


class SfApiServer(Configurable):
    """The SF API side of the Jupyter server: how often it may ask the API, and for what."""

    min_interval = Float(
        10.0,
        config=True,
        help="Seconds: the shortest time between two requests to the SF API for one view "
        "(the status, one machine's queue). Every open tab is served from the same answer, "
        f"so this is the floor of the panel's refresh interval (at least {HARD_FLOOR:g} s).",
    )
    recent_interval = Float(
        60.0,
        config=True,
        help="Seconds between two reads of recently finished jobs (sacct); they are read "
        "sooner when a job leaves the queue.",
    )
    outage_interval = Float(
        300.0,
        config=True,
        help="Seconds between two reads of the outages (they change seldom); read sooner "
        "when a resource's status changes.",
    )
    output_interval = Float(
        2.0,
        config=True,
        help="Seconds: the shortest time between two reads of one job's output at one offset.",
    )
    machines = List(
        Unicode(),
        default_value=["perlmutter"],
        config=True,
        help="The machines whose jobs the panel lists.",
    )
    recent_limit = Int(20, config=True, help="Recently finished jobs listed per machine, at most.")

    @validate("min_interval", "recent_interval", "outage_interval", "output_interval")
    def _at_least_the_floor(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not value >= HARD_FLOOR:  # also refuses nan
            name = proposal["trait"].name
            raise TraitError(
                f"SfApiServer.{name} = {value!r}: it must be at least {HARD_FLOOR:g} second(s), "
                "so that open tabs cannot flood the SF API"
            )
        return value

    @validate("machines")
    def _some_machine(self, proposal: Any) -> list[str]:
        names = [str(n).strip() for n in proposal["value"] if str(n).strip()]
        if not names:
            raise TraitError(
                "SfApiServer.machines is empty: name at least one, e.g. ['perlmutter']"
            )
        return names
