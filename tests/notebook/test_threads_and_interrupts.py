"""What a blocked magic does on Ctrl-C, and which thread touches the widgets.

A cell that waits (``--wait``) blocks the main thread while feeds run on the loop thread;
widget updates must still run only on the main thread, and an interrupt must cancel the
job or ask first, as the front end allows.
"""

from __future__ import annotations

import threading

import pytest

from sfapi_jupyter.notebook import controllers, queue, waiting
from sfapi_jupyter.widgets import JobCard, LogTail, QueueTable
from sfapi_jupyter.widgets.support.mainthread import MainThreadDispatcher

from .conftest import finish, script, shown_cards, wait_for


def interrupt_when(monkeypatch, condition) -> None:
    """Ctrl-C during the next blocking wait, once ``condition()`` holds."""
    original = MainThreadDispatcher.wait_until

    def wait_until(self, done, timeout=None, nap=0.05):
        def interrupting():
            if condition():
                raise KeyboardInterrupt
            return done()

        return original(self, interrupting, timeout, nap)

    monkeypatch.setattr(MainThreadDispatcher, "wait_until", wait_until)


def test_interrupting_wait_cancels_when_the_front_end_cannot_ask(ip, client, monkeypatch, capsys):
    shown = shown_cards(monkeypatch)
    interrupt_when(monkeypatch, lambda: bool(shown) and shown[0].state == "RUNNING")
    with pytest.raises(KeyboardInterrupt):
        ip.run_cell_magic("sfjob", "--wait", script("sleep 60", "-J interrupted"))
    monkeypatch.undo()
    assert "cancelled job" in capsys.readouterr().out
    finish(shown[0], "CANCELLED")
    assert "cancelled" in shown[0].message


def test_interrupting_wait_asks_when_it_can(ip, client, monkeypatch, capsys):
    shown = shown_cards(monkeypatch)
    interrupt_when(monkeypatch, lambda: bool(shown) and shown[0].state == "RUNNING")
    monkeypatch.setattr(waiting, "_can_ask", lambda: True)
    questions = []
    monkeypatch.setattr("builtins.input", lambda prompt: questions.append(prompt) or "n")
    with pytest.raises(KeyboardInterrupt):
        ip.run_cell_magic("sfjob", "--wait", script("sleep 60", "-J asked"))
    monkeypatch.undo()
    job = ip.user_ns["job"]
    assert questions == [f"Cancel job {job.jobid}? [y/N] "]
    assert "keeps running" in capsys.readouterr().out
    assert not job.refresh().is_terminal
    job.cancel()
    finish(shown[0], "CANCELLED")


def test_widget_updates_run_only_on_the_main_thread(ip, client, monkeypatch, facility):
    threads: list[tuple[str, threading.Thread]] = []
    card_state = ("set_job", "set_message", "refresh_static", "set_array_tasks")
    card_output = ("append_output", "set_output_paths")
    watched = {
        JobCard: (*card_state, *card_output),
        LogTail: ("append", "set_status"),
        QueueTable: ("upsert", "mark_done"),
    }
    for cls, names in watched.items():
        for name in names:
            original = getattr(cls, name)

            def wrapper(self, *args, _original=original, _name=name, **kwargs):
                threads.append((_name, threading.current_thread()))
                return _original(self, *args, **kwargs)

            monkeypatch.setattr(cls, name, wrapper)
    monkeypatch.setattr(queue, "QUEUE_INTERVAL", 0.3)
    card = ip.run_cell_magic(
        "sfjob", "", script("echo a; sleep 1; echo b", "-J threads", "--array=0-1")
    )
    table = ip.run_line_magic("sfjobs", "")
    tail = ip.run_line_magic("sftail", card.jobid)
    wait_for(lambda: card.state == "COMPLETED" and "b" in card.output("stdout"))
    wait_for(lambda: "ended" in tail.status and any(r["done"] for r in table.rows))
    wait_for(lambda: not controllers.CONTROLLERS[card].running, what="the card's feed to finish")
    called = {name for name, _ in threads}
    assert {"set_job", "append_output", "refresh_static", "append", "upsert"} <= called
    assert card.array and card.tasks
    assert {thread for _, thread in threads} == {threading.main_thread()}
    table.close()


def test_updates_queued_from_other_threads_run_after_each_cell(ip):
    from sfapi_jupyter.widgets.support.mainthread import dispatcher

    ran: list[threading.Thread] = []
    worker = threading.Thread(
        target=dispatcher().call, args=(lambda: ran.append(threading.current_thread()),)
    )
    worker.start()
    worker.join()
    assert ran == []  # queued: only the main thread may run it
    ip.run_cell("pass")  # the extension's post_execute hook drains the queue
    assert ran == [threading.main_thread()]
