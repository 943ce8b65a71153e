"""NERSC's charging rule, read from the package's one data file (``sfapi_jupyter/client/data/
nersc_charges.json``): charged node-hours = walltime hours x nodes x QOS factor x machine
charge factor. The file says when it was read and from where; a factor it does not hold is
never guessed (the caller gets None and a note saying so).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The data file (package data of the client layer).
CHARGES_FILE = Path(__file__).resolve().parent / "data" / "nersc_charges.json"


@dataclass(frozen=True)
class ChargeFactors:
    """NERSC's factors as the data file holds them."""

    read_on: str
    sources: tuple[str, ...]
    qos_factors: dict[str, float]
    machine_factors: dict[str, float]
    missing: str

    def qos_factor(self, qos: str | None) -> float | None:
        """The factor of ``qos`` (None: not in the data file)."""
        return self.qos_factors.get((qos or "").strip().lower())

    def machine_factor(self, machine: str | None) -> float:
        """The machine's charge factor; 1 when the file holds none (the Node Hour is
        defined on Perlmutter's nodes, so Perlmutter's own hours are the unit)."""
        return self.machine_factors.get((machine or "").strip().lower(), 1.0)

    def charged(
        self, node_hours: float, qos: str | None, machine: str | None = None
    ) -> tuple[float | None, str | None]:
        """(charged node-hours, note). None and a note saying why when the QOS factor is
        not in the data file."""
        factor = self.qos_factor(qos)
        if factor is None:
            return None, (
                f"NERSC's charge factor for QOS {qos or '(none)'!r} is not in the package's "
                f"data file (read {self.read_on}); {node_hours:.3g} node-hours before it"
            )
        return node_hours * factor * self.machine_factor(machine), None


def _floats(data: Any) -> dict[str, float]:
    if not isinstance(data, dict):
        return {}
    return {str(k).lower(): float(v) for k, v in data.items() if isinstance(v, (int, float))}


@functools.lru_cache(maxsize=1)
def charge_factors(path: Path = CHARGES_FILE) -> ChargeFactors:
    """The data file, read once."""
    data = json.loads(path.read_text())
    return ChargeFactors(
        read_on=str(data.get("read_on", "")),
        sources=tuple(str(s) for s in data.get("sources", [])),
        qos_factors=_floats(data.get("qos_factors")),
        machine_factors=_floats(data.get("machine_charge_factors")),
        missing=str(data.get("missing", "")),
    )
