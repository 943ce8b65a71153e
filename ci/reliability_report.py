"""Print the reliability figures the tests recorded, and fail if one that must be 0 is not.

Reads ``figures.jsonl`` (written by ``tests/support/figures.py``) from the directory given
(default ``test-artifacts/reliability``); any further arguments are files written after the
tests ended (the JUnit report), scanned here for secrets' shapes as the suite scanned the
rest. The last lines are always ``jobs lost: N``,
``jobs duplicated: N`` and ``secrets found: N``, summed over every suite that counted them; a
figure that was never recorded counts as a failure (its suite did not run to the end).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.support.secrets_scan import scan_files

HEADLINES = ("jobs lost", "jobs duplicated", "secrets found")


def _value(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def main(argv: list[str]) -> int:
    directory = Path(argv[0] if argv else "test-artifacts/reliability")
    path = directory / "figures.jsonl"
    rows = (
        [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if path.exists()
        else []
    )
    late = [Path(p) for p in argv[1:] if Path(p).exists()]
    scanned, findings = scan_files(late)
    if late:
        section = "secrets (files written after the tests)"
        rows.append({"section": section, "name": "files scanned", "value": scanned, "unit": ""})
        rows.append(
            {
                "section": section,
                "name": "secrets found",
                "value": len(findings),
                "unit": "",
                "zero": True,
            }
        )
    for finding in findings:
        print(f"secret found: {finding}")
    width = max([len(r["name"]) for r in rows] + [30])
    print("=" * (width + 24))
    print("reliability figures (issue 10)")
    section = None
    bad: list[str] = []
    for row in rows:
        if row["section"] != section:
            section = row["section"]
            print(f"\n[{section}]")
        value = _value(row["value"])
        unit = f" {row['unit']}" if row["unit"] else ""
        flag = ""
        if row.get("zero") and row["value"]:
            flag = "   <-- must be 0"
            bad.append(f"{section}: {row['name']} = {value}")
        print(f"  {row['name']:<{width}} {value:>10}{unit}{flag}")
    print()
    status = 0
    for name in HEADLINES:
        values = [r["value"] for r in rows if r["name"] == name]
        if not values:
            print(f"{name}: not measured (its test did not run to the end)")
            status = 1
            continue
        total = sum(values)
        print(f"{name}: {_value(total)}")
        status |= total > 0
    for line in bad:
        print(f"FAILED: {line}")
    print("=" * (width + 24))
    return 1 if (status or bad) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
