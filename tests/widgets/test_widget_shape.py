"""One shape for every widget: the actions the user takes reach code through ``on``, and a
note is set the same way on every widget that shows one."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sfapi_jupyter import widgets
from sfapi_jupyter.client.models.jobs import JobInfo, JobState
from sfapi_jupyter.widgets import H5Viewer, JobCard, QueueTable, SubmitForm, TransferCard
from sfapi_jupyter.widgets._base import MessageMixin, SfWidget

from .test_widgets import from_js, record

#: A widget of each class, as little as it takes to make one.
MADE: dict[str, dict[str, Any]] = {
    "AccountView": {},
    "FileBrowser": {"machine": "perlmutter"},
    "H5Viewer": {"machine": "perlmutter", "path": "/scratch/scan.h5"},
    "JobCard": {"jobid": "7", "machine": "perlmutter"},
    "LogTail": {},
    "QueueTable": {"machine": "perlmutter"},
    "StatusBoard": {},
    "SubmitForm": {},
    "TransferCard": {"source": "a:/x", "target": "b:/y"},
}
CLASSES = [name for name in widgets.__all__ if name in MADE]


def make(name: str) -> SfWidget:
    widget: SfWidget = getattr(widgets, name)(**MADE[name])
    record(widget)
    return widget


def test_every_widget_is_made_here() -> None:
    public = {n for n in widgets.__all__ if isinstance(getattr(widgets, n), type)}
    made = {n for n in public if issubclass(getattr(widgets, n), SfWidget)} - {"SfWidget"}
    assert made == set(MADE)


@pytest.mark.parametrize("name", CLASSES)
def test_each_action_is_answered_through_on_and_can_be_removed(name: str) -> None:
    widget = make(name)
    for kind in type(widget).actions:
        assert not widget.handles(kind)
        remove = widget.on(kind, lambda *args: None)
        assert widget.handles(kind)
        remove()
        remove()  # a second removal is harmless
        assert not widget.handles(kind)


@pytest.mark.parametrize("name", CLASSES)
def test_an_unknown_action_is_refused_with_the_known_ones(name: str) -> None:
    widget = make(name)
    known = ", ".join(type(widget).actions) or "none"
    with pytest.raises(
        ValueError, match=re.escape(f"has no action 'bogus'; its actions: {known}") + "$"
    ):
        widget.on("bogus", print)


def test_removing_the_cancel_callback_takes_the_cancel_button_away() -> None:
    card = JobCard(jobid="7", machine="m")
    calls: list[str] = []
    remove = card.on("cancel", lambda: calls.append("cancel"))
    card.set_job(JobInfo(jobid="7", state=JobState.RUNNING))
    assert card.can_cancel
    remove()
    assert not card.can_cancel
    from_js(card, {"type": "cancel"})
    assert calls == [] and not card.cancel_requested
    table = QueueTable(machine="m")
    remove = table.on("cancel", calls.append)
    assert table.can_cancel
    remove()
    assert not table.can_cancel


def test_a_callback_added_to_a_finished_job_shows_no_cancel_button() -> None:
    card = JobCard(jobid="7", machine="m")
    card.set_job(JobInfo(jobid="7", state=JobState.COMPLETED))
    card.on("cancel", lambda: None)
    assert not card.can_cancel


def test_every_callback_of_an_action_is_called_in_order() -> None:
    form = SubmitForm()
    got: list[str] = []
    form.on("submit", lambda message: got.append("first"))
    form.on("submit", lambda message: got.append("second"))
    from_js(form, {"type": "submit"})
    assert got == ["first", "second"]


@pytest.mark.parametrize(
    "name", [n for n in CLASSES if issubclass(getattr(widgets, n), MessageMixin)]
)
def test_a_note_is_set_the_same_way_on_every_widget_with_one(name: str) -> None:
    widget = make(name)
    assert isinstance(widget, MessageMixin)
    widget.set_message("Perlmutter maintenance in 2 hours", "warn")
    assert (widget.message, widget.message_level) == (
        "Perlmutter maintenance in 2 hours",
        "warning",
    )
    widget.set_message("", "danger")
    assert (widget.message, widget.message_level) == ("", "error")
    with pytest.raises(ValueError, match="level must be one of info, success, warning, error"):
        widget.set_message("x", "loud")


def test_the_widgets_with_a_note_are_the_cards_the_form_and_the_h5_viewer() -> None:
    with_note = {n for n in CLASSES if issubclass(getattr(widgets, n), MessageMixin)}
    names = {JobCard.__name__, SubmitForm.__name__, TransferCard.__name__, H5Viewer.__name__}
    assert with_note == names


def test_a_remover_holds_its_widget_only_weakly() -> None:
    # Controllers keep their removers in a registry keyed weakly by the widget: a remover
    # that held the widget would keep every closed widget (and its buffers) alive.
    card = JobCard(jobid="7", machine="m")
    remove = card.on("cancel", lambda: None)
    assert all(cell.cell_contents is not card for cell in remove.__closure__ or ())
