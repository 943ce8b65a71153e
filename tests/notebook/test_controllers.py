"""One controller shape: every live widget has one controller in one registry, with one
lifecycle (start, stop), and a controller never keeps its widget alive."""

from __future__ import annotations

from sfapi_jupyter.notebook.controllers import Feed, controller_of, stop
from sfapi_jupyter.notebook.file_browser import BrowserSession, file_browser
from sfapi_jupyter.notebook.queue import queue_table
from sfapi_jupyter.notebook.submit_form import FormSession, submit_form
from sfapi_jupyter.notebook.tail import log_tail

from .conftest import wait_for


def test_every_live_widget_has_its_controller_in_the_one_registry(client, facility):
    home = facility.config.home_of("elvis")
    (home / "notes.txt").write_text("hello\n")
    browser = file_browser()
    form = submit_form()
    table = queue_table()
    tail = log_tail(str(home / "notes.txt"), follow=False)
    for widget, kind in ((browser, BrowserSession), (form, FormSession)):
        controller = controller_of(widget)
        assert isinstance(controller, kind) and not isinstance(controller, Feed)
        assert controller.widget is widget and controller.future is None
    for widget in (table, tail):
        feed = controller_of(widget)
        assert isinstance(feed, Feed) and feed.widget is widget
    wait_for(lambda: tail.status == "end of file", what="the tail to read the file")
    assert tail.text == "hello\n"
    for widget in (browser, form, table, tail):
        stop(widget)
        assert controller_of(widget) is None


def test_stop_takes_the_controllers_answers_off_the_widget(client):
    form = submit_form()
    assert form.handles("submit") and form.handles("script")
    stop(form)
    assert not form.handles("submit") and not form.handles("script")
    form._handle_custom_msg({"type": "submit"}, [])
    assert form.message == ""  # nobody answered (a submit says "Submitting" or why not)
    table = queue_table()
    feed = controller_of(table)
    assert table.can_cancel and feed is not None and feed.running
    stop(table)
    assert not table.can_cancel
    wait_for(lambda: not feed.running, what="the queue feed to end")


def test_a_new_controller_of_a_widget_replaces_the_one_before(client):
    browser = file_browser()
    first = controller_of(browser)
    assert isinstance(first, BrowserSession)
    second = BrowserSession(client, first.machine, browser, first.home).start()
    assert controller_of(browser) is second
    assert len(browser._callbacks["open"]) == 1  # only the new one answers


def test_closing_a_widget_ends_its_feed_and_its_controllers_hold_on_it(client):
    table = queue_table()
    browser = file_browser()
    feed, session = controller_of(table), controller_of(browser)
    assert isinstance(feed, Feed) and isinstance(session, BrowserSession)
    table.close()
    browser.close()
    wait_for(lambda: not feed.running, what="the feed of the closed table to end")
    assert feed.widget is None and session.widget is None
    session.open("/")  # an answer that comes late does nothing
    assert browser.path != "/"
