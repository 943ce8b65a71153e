"""``SubmitForm`` and ``TransferCard`` as state holders: traits, actions, static fallback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfapi_jupyter.client.models import TransferInfo
from sfapi_jupyter.widgets import JobCard, SubmitForm, TransferCard
from sfapi_jupyter.widgets.transfer import human_bytes


def from_js(widget: Any, content: dict[str, Any]) -> None:
    widget._handle_custom_msg(content, [])


def test_transfer_card_follows_the_api_to_the_end() -> None:
    card = TransferCard(source="perlmutter:/scratch/run1", target="dtns:/cfs/m1", label="raw")
    assert card.state == "STARTING" and card.percent is None
    card.set_info(
        TransferInfo(
            transfer_id="abc",
            globus_status="ACTIVE",
            files=10,
            files_transferred=4,
            bytes_transferred=3 << 20,
            bytes_expected=12 << 20,
            effective_bytes_per_second=1 << 20,
        )
    )
    assert (card.transfer_id, card.files_done, card.files, card.percent) == ("abc", 4, 10, 25.0)
    assert card.summary_text() == (
        "Transfer perlmutter:/scratch/run1 -> dtns:/cfs/m1: ACTIVE "
        "(files 4 / 10, bytes 3.0 MiB / 12.0 MiB, rate 1.0 MiB/s)"
    )
    card.set_info(
        TransferInfo(
            globus_status="SUCCEEDED",
            files_transferred=10,
            bytes_transferred=12 << 20,
            completion_time="2026-01-01T00:00:00Z",
        )
    )
    assert card.is_terminal and card.percent == 100.0 and card.elapsed_s is not None
    html = card.summary_html()
    assert 'data-sfj-static="transfer"' in html and "SUCCEEDED" in html and "width:100.0%" in html


def test_transfer_card_failure_shows_the_reason() -> None:
    card = TransferCard(source="a:/x", target="b:/y")
    card.set_info(TransferInfo(globus_status="FAILED", reason="Permission denied: /y/x"))
    assert card.message == "The transfer failed: Permission denied: /y/x"
    assert card.message_level == "error"
    with pytest.raises(ValueError, match="level must be one of"):
        card.set_message("x", "loud")


@pytest.mark.parametrize(
    ("value", "text"), [(None, "—"), (0, "0 B"), (1536, "1.5 KiB"), (5 * 2**30, "5.0 GiB")]
)
def test_human_bytes(value, text) -> None:
    assert human_bytes(value) == text


def test_submit_form_relays_the_browsers_actions() -> None:
    form = SubmitForm(script="#!/bin/bash\nsrun a\n")
    got: list[dict[str, Any]] = []
    for kind in ("script", "field", "machine", "submit"):
        form.on(kind, got.append)
    from_js(form, {"type": "field", "name": "nodes", "value": "2"})
    from_js(form, {"type": "submit"})
    from_js(form, {"type": "nonsense"})
    assert [g["type"] for g in got] == ["field", "submit"]
    from_js(form, {"type": "view", "value": "job"})
    assert form.view == "job"
    from_js(form, {"type": "view", "value": "elsewhere"})
    assert form.view == "job"


def test_submit_form_can_submit_and_show_job() -> None:
    form = SubmitForm(script="#!/bin/bash\nsrun a\n")
    assert form.can_submit
    form.issues = [{"line": 1, "severity": "error", "message": "bad"}]
    assert form.errors == ["line 1: bad"] and not form.can_submit
    form.issues = []
    form.blocked = "green client"
    assert not form.can_submit
    card = JobCard(jobid="77", machine="perlmutter", name="recon")
    form.show_job(card, "77", "recon")
    assert form.view == "job" and form.card is card
    assert form.submitted == [{"jobid": "77", "machine": "perlmutter", "name": "recon"}]
    state = form.get_state()
    assert state["card"] == f"IPY_MODEL_{card.model_id}"


def test_submit_form_static_summary_escapes_and_shows_the_job() -> None:
    form = SubmitForm(script="#!/bin/bash\necho '<b>x</b>'\n", machine="perlmutter")
    form.job_name = "<script>"
    form.warnings = ["perlmutter is degraded"]
    form.cost = {"node_hours": 2.0, "kind": "CPU", "project": "m1", "left": 10.0}
    form.show_job(JobCard(jobid="5", machine="perlmutter"), "5")
    html = form.summary_html()
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&lt;script&gt;" in html
    assert "perlmutter is degraded" in html and "2 CPU node-hours; m1 has 10.0 left" in html
    assert 'data-sfj-static="job-card"' in html and "submitted 5" in html
    assert form.summary_text() == "SubmitForm on perlmutter (job_name=<script>): submitted 5"
    json.dumps(form.get_state(), default=str)  # the state is plain JSON
