"""The job card's cost panel as facts (label, value): shared by the saved-notebook HTML and
the tests; the browser draws the same figures from the ``cost`` trait (js/src/job_card/cost.ts).
"""

from __future__ import annotations

from typing import Any

from ...client.cost import format_size
from . import static_html
from .formatting import format_duration


def cost_facts(cost: dict[str, Any]) -> list[tuple[str, str]]:
    """``JobCost.to_json()`` as the card labels it; a figure sacct did not give is left out."""
    if not cost:
        return []
    out: list[tuple[str, str]] = []
    if cost.get("elapsed") is not None:
        out.append(("elapsed", format_duration(cost["elapsed"])))
    peak, had = cost.get("peak_memory"), cost.get("memory")
    if peak is not None:
        memory = format_size(peak)
        if had:
            memory += f" of {format_size(had)} ({peak / had:.0%})"
        out.append(("peak memory", memory))
    if cost.get("cpu_efficiency") is not None:
        out.append(("CPU efficiency", f"{cost['cpu_efficiency']:.0%}"))
    if cost.get("charged_node_hours") is not None:
        out.append(("charged", f"{cost['charged_node_hours']:.3g} node-hours"))
    elif cost.get("node_hours") is not None:
        out.append(("node-hours", f"{cost['node_hours']:.3g} (no QOS charge factor known)"))
    return out


def cost_html(cost: dict[str, Any]) -> str:
    """The cost facts and, for a job that ran out of memory, its advice line."""
    facts = static_html.facts(cost_facts(cost))
    if not facts:
        return ""
    advice = static_html.message(cost.get("advice") or "", "error")
    return f'<div data-section="cost">{facts}{advice}</div>'
