"""Static HTML summaries of the job widgets (the ``text/html`` fallback)."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from . import _html
from ._format import clock_time, format_duration

if TYPE_CHECKING:
    from ._job_card import JobCard
    from ._queue_table import QueueTable

MAX_TABLE_ROWS = 50


def job_card_html(card: JobCard) -> str:
    head = _html.heading(
        _html.badge(card.state),
        _html.strong(card.name or f"job {card.jobid}"),
        _html.muted(f"#{card.jobid} · {card.machine}"),
    )
    nodes = ""
    if card.nodes is not None:
        nodes = f"{card.nodes}" + (f" ({card.nodelist})" if card.nodelist else "")
    exit_code = "" if card.exit_code is None else str(card.exit_code)
    if exit_code and card.exit_signal:
        exit_code += f" (signal {card.exit_signal})"
    facts = _html.facts(
        [
            *card._times(),
            ("nodes", nodes),
            ("exit code", exit_code),
            ("reason", card.reason),
        ]
    )
    steps = " → ".join(
        f"{escape(step['state'])} {escape(clock_time(step.get('time') or step.get('seen', '')))}"
        for step in card.timeline
    )
    timeline = f'<div style="margin-top:4px;opacity:.85">{steps}</div>' if steps else ""
    counts = ""
    if card.array_counts:
        badges = " ".join(_html.badge(state, n) for state, n in card.array_counts.items())
        counts = f'<div style="margin-top:6px">tasks: {badges}</div>'
    output = ""
    for stream in ("stdout", "stderr"):
        lines = card._buffers[stream].tail(20) or list(card.last_output.get(stream, []))
        path = card.stdout_path if stream == "stdout" else card.stderr_path
        output += _html.pre(lines, label=f"{stream} {path}".strip())
    message = _html.message(card.message, card.message_level)
    return _html.box(head + facts + message + timeline + counts + output, kind="job-card")


def queue_table_html(table: QueueTable) -> str:
    rows = table.rows
    head = _html.heading(
        _html.strong(f"Queue on {table.machine}"),
        _html.muted(f"user {table.user}") if table.user else "",
        " ".join(_html.badge(s, n) for s, n in sorted(table.counts.items()) if s != "done"),
        _html.muted(f"{table.counts.get('done', 0)} done"),
    )
    body = []
    for row in rows[:MAX_TABLE_ROWS]:
        elapsed = row["elapsed_s"]
        body.append(
            [
                escape(row["jobid"]),
                escape(row["name"]),
                _html.badge(row["state"]) + (" ✓ done" if row["done"] else ""),
                escape(format_duration(elapsed) if elapsed is not None else ""),
                escape("" if row["nodes"] is None else str(row["nodes"])),
                escape(row["reason"]),
            ]
        )
    more = len(rows) - MAX_TABLE_ROWS
    extra = _html.muted(f"… and {more} more") if more > 0 else ""
    table_html = (
        _html.table(["job", "name", "state", "elapsed", "nodes", "reason"], body) if body else ""
    )
    return _html.box(head + table_html + extra, kind="queue-table")
