"""``%sfh5 PATH --job`` / ``h5_view(..., job=...)``: the viewer's questions as batch jobs.

The status line says which job a question waits for and its state, and one ``JobCard``
(shown above the viewer) follows each question's job; the images equal h5py's here.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from sfapi_jupyter.client.h5 import KERNEL_VENV
from sfapi_jupyter.notebook.h5_viewer import h5_view
from sfapi_jupyter.widgets import H5Viewer, JobCard

from ..support.figures import record_bad_input
from .conftest import wait_for
from .test_h5_viewer import error_of, home, landed, local_virtual, send, session_of  # noqa: F401


def test_sfh5_job_shows_each_questions_job_and_the_same_images(ip, client, home):
    viewer = ip.run_line_magic("sfh5", "~/scan.h5 --job")
    assert isinstance(viewer, H5Viewer) and viewer.on_job_card is not None
    said: list[str] = []
    viewer.observe(lambda change: said.append(change.new), "message")
    first = landed(viewer, "virtual")
    card = viewer.job_card
    assert isinstance(card, JobCard)
    session = session_of(viewer)
    detector = viewer.detector
    expected = local_virtual(
        home / "scan.h5", (detector["row"], detector["col"]), 0, detector["radius"]
    )
    np.testing.assert_array_equal(first.data, expected)
    # The tree, the mean pattern and the virtual image: a job each, no command.
    assert (session.h5.jobs, session.h5.commands) == (3, 0)
    last = session.h5.last_job
    assert last is not None and card.jobid == last.jobid
    wait_for(lambda: card.state == "COMPLETED", what="the card's last state")
    assert card.name == "sfapi-h5" and card.machine == "perlmutter"
    assert viewer.job["role"] == "virtual" and viewer.job["terminal"] is True
    assert viewer.job["jobid"] == last.jobid
    # While it waited, the status line named the job and its state; it goes with the answer.
    assert any(f"Virtual image: job {last.jobid} on perlmutter " in text for text in said), said
    assert viewer.message == ""

    # A moving detector submits nothing (a job per position would flood the queue); the
    # position it is let go at is one job.
    ring = {"kind": "adf", "row": 32, "col": 30, "inner": 6, "outer": 12}
    send(viewer, {"type": "detector", "detector": ring, "final": False})
    assert "virtual" not in viewer.busy and session.h5.jobs == 3
    send(viewer, {"type": "detector", "detector": ring, "final": True})
    image = landed(viewer, "virtual", lambda image: image is not first)
    np.testing.assert_array_equal(image.data, local_virtual(home / "scan.h5", (32, 30), 6, 12))
    assert session.h5.jobs == 4 and card.jobid == session.h5.last_job.jobid  # type: ignore[union-attr]


def test_a_job_the_facility_refuses_shows_its_message(ip, client, home):
    viewer: Any = h5_view("scan.h5", job="-q nonsense")
    message = error_of(viewer)
    assert "Invalid qos specification" in message, message
    record_bad_input("widget", "h5_view('scan.h5', job='-q nonsense')", message)


def test_the_cards_cancel_button_cancels_the_questions_job(ip, client, home):
    """A slow question (its Python sleeps first): the card can cancel its job, and the viewer
    then says the job was cancelled, with its id."""
    python = os.path.realpath(home / KERNEL_VENV.removeprefix("~/") / "bin" / "python")
    slow = home / "slow-python"
    slow.write_text(f'#!/bin/sh\nsleep 60\nexec {python} "$@"\n')
    slow.chmod(0o755)
    viewer = h5_view("scan.h5", python=str(slow), job=True)
    wait_for(lambda: viewer.job_card is not None, what="the job's card")
    card = viewer.job_card
    wait_for(lambda: card.can_cancel and card.state == "RUNNING", what="a cancellable job")
    card._dispatch(None, {"type": "cancel"})  # as the card's confirmed button sends it
    message = error_of(viewer)
    assert f"job {card.jobid} on perlmutter (sfapi-h5) was cancelled" in message, message
    wait_for(lambda: card.state == "CANCELLED" and not card.can_cancel, what="the card's end")
    record_bad_input("widget", "h5_view(..., job=True): the job cancelled from its card", message)
