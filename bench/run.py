"""Every benchmark of issue 11, this project against NERSC's sfapi-client, in one run, and
issue 14's: job listings with 100 and 10,000 jobs stored (7), a tutorial room (8).

    python -m bench.run            # the full run (make bench), ~13 min
    python -m bench.run --n 20     # the short run CI keeps working (make bench-short)
    python -m bench.run --only stored,room

Prints one table: our figure, the official client's, the ratio (ours / theirs) and the
target it is held to. See bench/README.md for how each figure is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import (
    facility_load,
    imports,
    stored_jobs,
    submit_jobs,
    tail_log,
    tutorial_room,
    watch_jobs,
)
from ._facility import BenchFacility

Row = tuple[str, "float | None", "float | None", str]


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if ours is None or theirs is None or theirs == 0:
        return "-"
    return f"{ours / theirs:.2f}"


def _verdict(ours: float | None, theirs: float | None, target: str) -> str:
    """'ok' or 'MISS' for targets of the form '<= x' on the ratio, or '<= x' on ours alone."""
    if not target or ours is None:
        return ""
    kind, _, bound_text = target.partition(" ")
    bound = float(bound_text)
    value = ours / theirs if kind == "ratio<=" and theirs else ours
    return "ok" if value <= bound else "MISS"


def table(rows: list[Row]) -> str:
    head = ("figure", "ours", "sfapi-client", "ours/theirs", "target", "")
    lines = [head]
    for name, ours, theirs, target in rows:
        shown_target = target.replace("ratio<= ", "ratio <= ").replace("ours<= ", "ours <= ")
        verdict = _verdict(ours, theirs, target)
        lines.append((name, _fmt(ours), _fmt(theirs), _ratio(ours, theirs), shown_target, verdict))
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = []
    for k, line in enumerate(lines):
        padded = [cell.rjust(width) for cell, width in zip(line, widths, strict=True)]
        padded[0] = line[0].ljust(widths[0])  # names to the left, figures to the right
        out.append("| " + " | ".join(padded) + " |")
        if k == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        load = "?"
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, load average at start {load}"
    )


def versus(label: str, pair: dict[str, Any], key: str | None = None, target: str = "") -> Row:
    """A row of one figure measured for both clients: ``pair["ours"]`` against ``pair["theirs"]``
    (or their ``key``)."""
    ours, theirs = pair["ours"], pair["theirs"]
    if key is not None:
        ours, theirs = ours[key], theirs[key]
    return (label, ours, theirs, target)


def _shown(figures: dict[str, Any], name: str, value: dict[str, Any]) -> dict[str, Any]:
    figures[name] = value
    print("   ", json.dumps(value), flush=True)
    return value


def watch_rows(fac: BenchFacility, short: bool, n: int, figures: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    sizes = [(n, 2.0, 10.0)] if short else [(40, 4.0, 40.0), (200, 4.0, 40.0)]
    for size, low, high in sizes:
        w = _shown(figures, f"watch_{size}", watch_jobs.run(fac, size, low, high))
        label = f"1. watch {size} jobs ({low:g}-{high:g} s)"
        rows += [
            versus(f"{label}: job-status requests", w, "job_status_requests", "ratio<= 1"),
            versus(f"{label}: median delay, s", w, "median_delay", "ratio<= 0.2"),
            versus(f"{label}: worst delay, s", w, "worst_delay"),
        ]
    return rows


def submit_rows(fac: BenchFacility, short: bool, n: int, figures: dict[str, Any]) -> list[Row]:
    count = n if short else 100
    at_once = min(n, 40) if short else 40
    s = _shown(figures, "submit", submit_jobs.run(fac, count, at_once, rounds=2 if short else 3))
    loop, gather, threads = s["loop"], s["gather"], s["threads"]
    # Our faster ways to submit, each against their plain loop.
    nowait = {"ours": loop["ours_nowait"], "theirs": loop["theirs"]}
    many = {"ours": loop["ours_many"], "theirs": loop["theirs"]}
    per_submit = "requests_per_submit"
    in_turn, together = f"2. submit {count}", f"2. submit {at_once} at once"
    return [
        versus(f"{in_turn}, sync plain loop: wall s", loop, "wall"),
        versus(f"{in_turn}, loop of submit_nowait: wall s", nowait, "wall", "ratio<= 0.333"),
        versus(f"{in_turn}, submit_many: wall s", many, "wall", "ratio<= 0.333"),
        versus("2. plain loop: requests per submit", loop, per_submit),
        versus("2. submit_nowait: requests per submit", nowait, per_submit),
        versus(f"{together}, asyncio.gather: wall s", gather, "wall", "ratio<= 1"),
        versus(f"{together}, {at_once} threads: wall s", threads, "wall", "ratio<= 1"),
        versus("2. at once, gather: requests per submit", gather, per_submit),
        # What each way cost the machine: no way is faster than (client + facility) / cores.
        versus("2. submit_nowait: client CPU s", nowait, "client_cpu"),
        versus("2. submit_nowait: facility CPU s", nowait, "facility_cpu"),
        versus("2. at once, gather: client CPU s", gather, "client_cpu"),
        versus("2. at once, gather: facility CPU s", gather, "facility_cpu"),
    ]


def tail_rows(fac: BenchFacility, short: bool, figures: dict[str, Any]) -> list[Row]:
    size, seconds = (2_000_000, 4.0) if short else (20_000_000, 20.0)
    tl = _shown(figures, "tail", tail_log.run(fac, size, seconds))
    if not (tl["ours"]["correct"] and tl["theirs"]["correct"]):
        print("!!! a client did not end up with the bytes written", tl)
    label = f"3. follow a log to {size / 1e6:g} MB"
    return [
        versus(f"{label}: bytes moved / written", tl, "ratio", "ours<= 1.1"),
        versus("3. follow the log: API requests", tl, "requests"),
    ]


def imports_rows(short: bool, figures: dict[str, Any]) -> list[Row]:
    im = _shown(figures, "imports", imports.run(2 if short else 5))
    return [
        versus("4. from … import Client, ours / theirs, s", im["import"], target="ratio<= 1"),
        versus(
            "4. %load_ext sfapi_jupyter / import sfapi_client, s",
            im["load_ext"],
            target="ratio<= 1",
        ),
    ]


def facility_rows(short: bool, figures: dict[str, Any]) -> list[Row]:
    jobs = 200 if short else 1000
    fl = _shown(figures, "facility", facility_load.run(jobs, 2.0 if short else 8.0))
    rows: list[Row] = []
    for key, label in (("status", "GET /status"), ("jobs_listing", "GET /compute/jobs")):
        f = fl[key]
        what = f"5. {label} ({fl['jobs']} jobs queued)"
        rows += [
            (f"{what}: requests/s", f["rps"], None, ""),
            (f"{what}: p50 ms", f["p50"] * 1000, None, ""),
            (f"{what}: p99 ms", f["p99"] * 1000, None, ""),
        ]
    return rows


def stored_rows(short: bool, figures: dict[str, Any]) -> list[Row]:
    st = _shown(figures, "stored_jobs", stored_jobs.run(100 if short else 400))
    rows: list[Row] = []
    for key, label in (("queue", "one user's queue"), ("jobid", "a jobid= query")):
        f = st[key]
        what = f"7. list {label} ({f['rows']} rows)"
        rows += [
            (f"{what}, 100 jobs stored: p50 ms", f["small"]["p50_ms"], None, ""),
            (f"{what}, 10,000 jobs stored: p50 ms", f["large"]["p50_ms"], None, ""),
            (f"{what}: 10,000 / 100 stored", f["ratio"], None, "ours<= 1.2"),
        ]
    return rows


def room_rows(short: bool, figures: dict[str, Any]) -> list[Row]:
    size = 10 if short else 30
    rows: list[Row] = []
    rooms = []
    for backend in ("local", "slurm"):
        try:
            room = tutorial_room.run(size, backend)
        except RuntimeError as exc:  # no Slurm here: say so, measure the rest
            print(f"    {backend} room skipped: {exc}", flush=True)
            continue
        figures[f"room_{backend}"] = room
        rooms.append(tutorial_room.table(room))
        print("   ", json.dumps(room), flush=True)
        what = f"8. room of {size} ({backend})"
        first = room["calls"]["status (first call: token)"]
        others = [q for name, q in room["calls"].items() if not name.startswith("status")]
        queue_wait, seen_end = room["queue_wait_s"], room["seen_end_after_end_s"]
        rows += [
            (f"{what}: first call (token) p50 ms", first["p50"] * 1000, None, ""),
            (f"{what}: first call (token) p99 ms", first["p99"] * 1000, None, ""),
            (f"{what}: other calls, worst p99 ms", max(q["p99"] for q in others) * 1000, None, ""),
            (f"{what}: queue wait p50 s", queue_wait["p50"], None, ""),
            (f"{what}: queue wait max s", queue_wait["max"], None, ""),
            (f"{what}: client saw the end, p50 s after", seen_end["p50"], None, ""),
            (f"{what}: errors", room["errors"], None, "ours<= 0"),
            (f"{what}: jobs not completed", size - room["completed"], None, "ours<= 0"),
            (f"{what}: facility CPU, % of a core", room["facility_cpu_percent"], None, ""),
        ]
    for text in rooms:
        print(text, flush=True)
    return rows


def cards_rows(short: bool, n: int, figures: dict[str, Any]) -> list[Row]:
    try:
        from . import cards
    except ImportError as exc:  # the notebook layer is not there
        print(f"    skipped: {exc}")
        return []
    count = n if short else 100
    cd = _shown(figures, "cards", cards.run(count, 5.0 if short else 40.0))
    rows: list[Row] = []
    for phase in ("idle", "changing"):
        f = cd[phase]
        what = f"6. {count} live cards, {phase}"
        idle_target = "ours<= 2" if phase == "idle" else ""
        rows += [
            (f"{what}: kernel CPU, % of a core", f["cpu_percent"], None, idle_target),
            (f"{what}: comm messages/s", f["comm_per_s"], None, ""),
            (f"{what}: API requests/s", f["requests_per_s"], None, ""),
            (f"{what}: remote commands/s", f["commands_per_s"], None, ""),
            (f"{what}: file polls per remote command", f["files_per_command"], None, ""),
        ]
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=None, help="short run: N jobs everywhere")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument(
        "--only", help="comma-separated: watch,submit,tail,imports,facility,stored,room,cards"
    )
    args = parser.parse_args(argv)
    short = args.n is not None
    n = args.n or 40
    only = set(args.only.split(",")) if args.only else None
    started = time.time()
    print(f"machine: {machine()}", flush=True)
    figures: dict[str, Any] = {}
    rows: list[Row] = []

    def step(name: str) -> bool:
        wanted = only is None or name in only
        if wanted:
            print(f"... {name} ({time.time() - started:.0f} s)", flush=True)
        return wanted

    with tempfile.TemporaryDirectory(prefix="sfapi-bench-") as tmp:
        with BenchFacility(Path(tmp) / "state") as fac:
            if step("watch"):
                rows += watch_rows(fac, short, n, figures)
            if step("submit"):
                rows += submit_rows(fac, short, n, figures)
            if step("tail"):
                rows += tail_rows(fac, short, figures)
        if step("imports"):
            rows += imports_rows(short, figures)
        if step("facility"):
            rows += facility_rows(short, figures)
        if step("stored"):
            rows += stored_rows(short, figures)
        if step("room"):
            rows += room_rows(short, figures)
        if step("cards"):
            rows += cards_rows(short, n, figures)

    print()
    print(table(rows))
    print(f"\n(total {time.time() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "figures": figures}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
