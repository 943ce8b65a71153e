"""The widgets as state holders: traits, diff messages, snapshots, static fallback, bundle."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from sfapi_jupyter.client.models.jobs import JobInfo, JobState
from sfapi_jupyter.widgets import JobCard, LogTail, QueueTable
from sfapi_jupyter.widgets._static import BUNDLES, STATIC_DIR, css, esm, missing_bundles
from sfapi_jupyter.widgets.support.formatting import STATE_COLOURS, state_family
from sfapi_jupyter.widgets.support.static_html import FALLBACK_NOTE

T0 = dt.datetime(2026, 5, 2, 18, 0, 0)

ROOT = Path(__file__).resolve().parents[2]


def record(widget: Any) -> list[dict[str, Any]]:
    """Replace the widget's comm send with a recorder of custom message contents."""
    sent: list[dict[str, Any]] = []
    widget.send = lambda content, buffers=None: sent.append(content)
    return sent


def from_js(widget: Any, content: dict[str, Any]) -> None:
    """Deliver a custom message as the browser would (through ipywidgets' dispatch)."""
    widget._handle_custom_msg(content, [])


def job(jobid: str = "4242", state: JobState = JobState.PENDING, **kw: Any) -> JobInfo:
    return JobInfo(jobid=jobid, state=state, **kw)


# -- LogTail ---------------------------------------------------------------------------------
def test_log_tail_append_sends_only_the_new_lines() -> None:
    tail = LogTail(title="stdout", path="/scratch/run.out")
    sent = record(tail)
    tail.append("".join(f"old {i}\n" for i in range(50)))
    sent.clear()
    tail.append("".join(f"line {i}\n" for i in range(10)))
    assert sent == [
        {"type": "append", "stream": "", "lines": [f"line {i}" for i in range(10)], "partial": ""}
    ]
    assert tail.text.endswith("line 9\n")


def test_log_tail_partial_lines_complete_later() -> None:
    tail = LogTail()
    sent = record(tail)
    tail.append("iter 1: loss=0.5\niter 2: lo")
    tail.append("ss=0.4\n")
    assert sent[0]["lines"] == ["iter 1: loss=0.5"] and sent[0]["partial"] == "iter 2: lo"
    assert sent[1]["lines"] == ["iter 2: loss=0.4"] and sent[1]["partial"] == ""
    assert tail.text == "iter 1: loss=0.5\niter 2: loss=0.4\n"


def test_log_tail_carriage_returns_and_crlf() -> None:
    tail = LogTail()
    record(tail)
    tail.append("progress 10%\rprogress 50%\rprogress 100%\nwindows\r")
    tail.append("\nnext\n")
    assert tail.lines == ["progress 100%", "windows", "next"]


def test_log_tail_buffer_is_bounded() -> None:
    tail = LogTail(max_lines=100)
    sent = record(tail)
    tail.append("".join(f"{i}\n" for i in range(1000)))
    assert len(tail.lines) == 100 and tail.lines[0] == "900" and tail.lines[-1] == "999"
    assert len(sent[0]["lines"]) == 100  # a huge write never makes a message bigger than the view
    from_js(tail, {"type": "snapshot?"})
    assert sent[-1]["streams"][""]["dropped"] == 900


def test_log_tail_snapshot_reply_is_the_full_buffer() -> None:
    tail = LogTail(max_lines=5)
    sent = record(tail)
    tail.append("a\nb\nc\nd\ne\nf\ng\npartial")
    sent.clear()
    from_js(tail, {"type": "snapshot?"})
    assert sent == [
        {
            "type": "snapshot",
            "streams": {
                "": {"lines": ["c", "d", "e", "f", "g"], "partial": "partial", "dropped": 2}
            },
        }
    ]


def test_log_tail_status_and_follow_callback() -> None:
    tail = LogTail()
    record(tail)
    seen: list[bool] = []
    tail.on("follow", seen.append)
    tail.append("x\n")
    tail.set_status("ended")
    assert tail.status == "ended" and tail.last_lines == ["x"]
    from_js(tail, {"type": "follow", "value": False})
    assert seen == [False] and tail.following is False


def test_unknown_messages_and_kwargs() -> None:
    tail = LogTail()
    from_js(tail, {"type": "nonsense"})  # ignored, no exception
    from_js(tail, "not a dict")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        LogTail(titel="typo")  # type: ignore[call-arg]


# -- JobCard ---------------------------------------------------------------------------------
def test_job_card_traits_from_job_info() -> None:
    card = JobCard(jobid="4242", machine="perlmutter")
    card.set_job(
        job(
            state=JobState.RUNNING,
            name="ptycho",
            submit_time=T0,
            start_time=T0 + dt.timedelta(seconds=72),
            elapsed=dt.timedelta(minutes=3, seconds=5),
            nodes=2,
            nodelist="nid[001-002]",
            reason="None",
        )
    )
    assert (card.state, card.name, card.nodes, card.nodelist, card.reason) == (
        "RUNNING",
        "ptycho",
        2,
        "nid[001-002]",
        "",
    )
    assert card.clock["queued_s"] == 72 and card.clock["running_s"] == 185
    assert card.clock["ticking"] == "running"
    assert "queued 1m 12s, running 3m 05s" in card.summary_text()


def test_timeline_appends_on_change_only_and_fills_a_skipped_running() -> None:
    card = JobCard(jobid="1", machine="m")
    card.set_job(job("1", JobState.PENDING, submit_time=T0))
    card.set_job(job("1", JobState.PENDING, submit_time=T0))
    assert [s["state"] for s in card.timeline] == ["PENDING"]
    card.set_job(
        job(
            "1",
            JobState.COMPLETED,
            submit_time=T0,
            start_time=T0 + dt.timedelta(seconds=5),
            end_time=T0 + dt.timedelta(seconds=9),
            exit_code=0,
        )
    )
    assert [s["state"] for s in card.timeline] == ["PENDING", "RUNNING", "COMPLETED"]
    assert [s["time"][-8:] for s in card.timeline] == ["18:00:00", "18:00:05", "18:00:09"]
    assert card.clock["ticking"] is None and card.clock["running_s"] == 4
    assert card.exit_code == 0


def test_job_card_output_streams_are_diffs() -> None:
    card = JobCard(jobid="1", machine="m")
    sent = record(card)
    card.append_output("".join(f"o{i}\n" for i in range(10)))
    card.append_output("boom\n", stream="stderr")
    assert sent[0] == {
        "type": "append",
        "stream": "stdout",
        "lines": [f"o{i}" for i in range(10)],
        "partial": "",
    }
    assert sent[1]["stream"] == "stderr" and sent[1]["lines"] == ["boom"]
    assert card.output("stderr") == "boom\n"
    with pytest.raises(ValueError):
        card.append_output("x", stream="stdin")
    from_js(card, {"type": "snapshot?"})
    assert sent[-1]["streams"]["stdout"]["lines"][-1] == "o9"
    assert sent[-1]["streams"]["stderr"]["lines"] == ["boom"]


def test_job_card_array_counts_and_task_diffs() -> None:
    card = JobCard(jobid="100", machine="m", array=True)
    sent = record(card)
    tasks = [
        job(f"10{i}", JobState.RUNNING, array_job_id="100", array_task_id=str(i)) for i in range(3)
    ]
    tasks.append(job("104", JobState.PENDING, array_job_id="100", array_task_id="4"))
    card.set_array_tasks(tasks)
    assert card.array_counts == {"PENDING": 1, "RUNNING": 3}
    assert len(sent[-1]["tasks"]) == 4
    tasks[0] = job("100", JobState.COMPLETED, array_job_id="100", array_task_id="0", exit_code=0)
    card.set_array_tasks(tasks)
    assert card.array_counts == {"COMPLETED": 1, "PENDING": 1, "RUNNING": 2}
    assert [t["task"] for t in sent[-1]["tasks"]] == ["0"]  # only the task that changed
    from_js(card, {"type": "snapshot?"})
    assert len(sent[-1]["tasks"]) == 4


def test_job_card_cancel_after_confirmation() -> None:
    card = JobCard(jobid="7", machine="m")
    calls: list[str] = []
    card.on("cancel", lambda: calls.append("cancel"))
    card.set_job(job("7", JobState.RUNNING))
    assert card.can_cancel
    from_js(card, {"type": "cancel"})
    from_js(card, {"type": "cancel"})  # a double click cancels once
    assert calls == ["cancel"] and card.cancel_requested
    card.set_job(job("7", JobState.CANCELLED))
    assert not card.can_cancel


def test_job_card_cancel_failure_is_shown() -> None:
    card = JobCard(jobid="7", machine="m")

    def broken() -> None:
        raise RuntimeError("HTTP 503")

    card.on("cancel", broken)
    from_js(card, {"type": "cancel"})  # logged, not raised into the comm
    assert card.message == "Cancel failed: HTTP 503" and card.message_level == "error"
    assert not card.cancel_requested


def test_job_card_messages_and_paths() -> None:
    card = JobCard(jobid="7", machine="m")
    card.set_message("Perlmutter maintenance in 2 hours", "warn")
    assert (card.message, card.message_level) == ("Perlmutter maintenance in 2 hours", "warning")
    with pytest.raises(ValueError):
        card.set_message("x", "loud")
    card.set_output_paths("/s/slurm-7.out", None)
    assert (card.stdout_path, card.stderr_path) == ("/s/slurm-7.out", "")


# -- static fallback -------------------------------------------------------------------------
def test_fallback_html_escapes_names_and_output() -> None:
    card = JobCard(jobid="9", machine="perlmutter", name="<script>alert('name')</script>")
    record(card)
    card.set_job(job("9", JobState.FAILED, exit_code=3, submit_time=T0, end_time=T0))
    card.append_output("<script>alert('out')</script>\n<img src=x onerror=alert(1)>\n")
    data = card.refresh_static()
    html = data["text/html"]
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&#x27;name&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert FALLBACK_NOTE.replace("'", "&#x27;") in html
    assert "FAILED" in html and "exit code" in html
    assert data["text/plain"].startswith("Job 9 <script>")  # plain text needs no escaping
    assert "application/vnd.jupyter.widget-view+json" in data
    assert card.last_output == {
        "stdout": ["<script>alert('out')</script>", "<img src=x onerror=alert(1)>"]
    }


def test_fallback_html_keeps_the_last_20_lines() -> None:
    card = JobCard(jobid="9", machine="m")
    record(card)
    card.append_output("".join(f"line {i}\n" for i in range(100)))
    html = card.summary_html()
    assert "line 99" in html and "line 80" in html and "line 79\n" not in html


def test_mimebundle_of_each_widget_has_html_and_plain() -> None:
    table = QueueTable(machine="perlmutter", user="elvis")
    record(table)
    table.upsert([job("1", JobState.RUNNING, name="<b>x</b>")])
    for widget in (table, LogTail(title="t"), JobCard(jobid="1", machine="m")):
        data, _ = widget._repr_mimebundle_()
        assert data["text/html"].startswith('<div class="sfj-static"')
        assert "\n" not in data["text/plain"]
    assert "&lt;b&gt;x&lt;/b&gt;" in table.summary_html()


def test_no_secret_reaches_state_messages_or_html() -> None:
    secret = "eyJhbGciOiJSUzI1NiJ9.SECRET-TOKEN"
    raw = {"token": secret, "environment": {"SFAPI_KEY": secret}, "command": "/bin/run"}
    info = JobInfo(jobid="5", state=JobState.RUNNING, raw=raw, comment=secret)
    card = JobCard(jobid="5", machine="m")
    table = QueueTable(machine="m")
    sent_card, sent_table = record(card), record(table)
    card.set_job(info)
    card.set_array_tasks([info])
    table.upsert([info])
    for widget, messages in ((card, sent_card), (table, sent_table)):
        from_js(widget, {"type": "snapshot?"})
        blob = json.dumps([widget.get_state(), messages, widget.refresh_static()], default=str)
        assert secret not in blob
        assert not [k for k in widget.get_state() if re.search("token|secret|key|auth", k, re.I)]


# -- QueueTable ------------------------------------------------------------------------------
def test_queue_table_upsert_sends_only_changed_rows() -> None:
    table = QueueTable(machine="perlmutter", user="elvis")
    sent = record(table)
    table.upsert([job("1", JobState.PENDING, name="a"), job("2", JobState.RUNNING, name="b")])
    assert [r["jobid"] for r in sent[-1]["rows"]] == ["1", "2"]
    table.upsert([job("1", JobState.PENDING, name="a"), job("2", JobState.COMPLETING, name="b")])
    assert [r["jobid"] for r in sent[-1]["rows"]] == ["2"]
    count = len(sent)
    table.upsert([job("1", JobState.PENDING, name="a")])
    assert len(sent) == count  # nothing changed, nothing sent
    assert table.counts == {"PENDING": 1, "COMPLETING": 1}
    assert "raw" not in table.rows[0]


def test_queue_table_mark_done_keeps_rows() -> None:
    table = QueueTable(machine="m")
    sent = record(table)
    table.upsert([job("1", JobState.RUNNING), job("2", JobState.RUNNING)])
    table.mark_done(["1", "nope"])
    assert sent[-1] == {"type": "done", "jobids": ["1"]}
    assert [(r["jobid"], r["done"]) for r in table.rows] == [("2", False), ("1", True)]
    table.upsert([job("1", JobState.COMPLETED, exit_code=0)])  # sacct catches up: stays done
    assert table.rows[-1]["state"] == "COMPLETED" and table.rows[-1]["done"]
    table.upsert([job("3", JobState.FAILED)])  # already ended when first seen
    assert table.counts == {"RUNNING": 1, "done": 2}
    from_js(table, {"type": "snapshot?"})
    assert {r["jobid"] for r in sent[-1]["rows"]} == {"1", "2", "3"}


def test_queue_table_cancel_selected_from_js() -> None:
    table = QueueTable(machine="m")
    record(table)
    got: list[list[str]] = []
    table.on("cancel", got.append)
    assert table.can_cancel
    table.upsert(
        [
            job("1", JobState.RUNNING),
            job("2", JobState.PENDING),
            job("11", JobState.PENDING, array_job_id="10", array_task_id="1"),
        ]
    )
    table.mark_done(["2"])
    from_js(table, {"type": "cancel", "jobids": ["1", "2", "999", "10"]})
    assert got == [["1", "10"]]  # done and unknown ids never reach scancel; arrays do
    from_js(table, {"type": "cancel", "jobids": ["2"]})
    from_js(table, {"type": "cancel", "jobids": "1"})
    assert len(got) == 1


def test_queue_table_rows_are_plain_json() -> None:
    table = QueueTable(machine="m")
    record(table)
    table.upsert([job("1", JobState.RUNNING, submit_time=T0, elapsed=dt.timedelta(seconds=30))])
    row = table.rows[0]
    json.dumps(row)
    assert row["submit_time"] == "2026-05-02T18:00:00" and row["elapsed_s"] == 30


# -- the built front end -----------------------------------------------------------------------
@pytest.mark.parametrize("name", BUNDLES)
def test_bundle_is_an_es_module_with_a_default_export(name: str) -> None:
    path = STATIC_DIR / f"{name}.js"
    assert path.is_file(), f"{path} missing: run `npm --prefix js run build`"
    text = path.read_text()
    assert re.search(r"export\s*\{[^}]*\bas default\b[^}]*\}", text), "no default export"
    assert "require(" not in text  # an ES module, not CommonJS
    assert (STATIC_DIR / f"{name}.css").is_file()


def test_each_widget_module_has_one_view_and_one_bundle() -> None:
    """widgets/X.py, js/src/X/ and static/X.{js,css} match one to one: no list to keep."""
    views = {p.name for p in (ROOT / "js" / "src").iterdir() if p.is_dir() and p.name != "lib"}
    assert views == set(BUNDLES)
    assert {p.stem for p in STATIC_DIR.glob("*.js")} >= set(BUNDLES)
    assert {p.stem for p in STATIC_DIR.glob("*.css")} >= set(BUNDLES)


def test_state_table_is_one_source_for_python_and_typescript() -> None:
    states_ts = (ROOT / "js" / "src" / "lib" / "states.ts").read_text()
    assert "sfapi_jupyter/widgets/states.json" in states_ts
    assert not re.search(r"#[0-9a-fA-F]{6}", states_ts), "colours belong in states.json"
    for path in (ROOT / "js" / "src").rglob("*.css"):
        css = path.read_text()
        for family in STATE_COLOURS:
            assert f"--sfj-{family}:" not in css, f"{family}'s colour is copied into {path.name}"
    for state in JobState:
        assert state_family(state.value) in STATE_COLOURS


def test_widget_classes_use_the_built_bundle() -> None:
    assert not missing_bundles()
    card = JobCard(jobid="1", machine="m")
    assert card._esm == (STATIC_DIR / "job_card.js").read_text()  # the file, not a fallback
    assert card._css == (STATIC_DIR / "job_card.css").read_text()


def test_missing_bundle_says_how_to_fix(tmp_path: Any) -> None:
    assert missing_bundles(tmp_path) == [f"{n}{ext}" for n in BUNDLES for ext in (".js", ".css")]
    assert {"job_card", "queue_table", "log_tail"} <= set(BUNDLES)
    fallback = esm("job_card", tmp_path)
    assert isinstance(fallback, str) and "export default" in fallback
    assert css("job_card", tmp_path) == ""  # the fallback module carries its own style
    assert "npm --prefix js run build" in fallback and "pip install -e ." in fallback
