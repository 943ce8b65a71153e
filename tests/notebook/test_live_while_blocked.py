"""A cell that blocks in the sync client (``job.wait()``, ``machine.run``) does not freeze the
cards on the page: their updates run while the call waits, not all at once when the cell ends.
(What the tutorials do: a card follows a job while the next cell waits for it.)"""

from __future__ import annotations

import time

from sfapi_jupyter.notebook import submit_job

from .conftest import script

TICKS = "for i in 1 2 3 4 5 6; do echo tick $i; sleep 1; done"


def test_the_cards_output_grows_while_a_cell_waits_for_its_job(client, monkeypatch):
    job, card = submit_job(script(TICKS, "-J blocked"))
    shown: list[tuple[str, bool]] = []  # (text, whether the blocking call was still waiting)
    waiting = [False]
    append = card.append_output

    def recording(text: str, stream: str = "stdout") -> None:
        shown.append((text, waiting[0]))
        append(text, stream)

    monkeypatch.setattr(card, "append_output", recording)
    waiting[0] = True
    job.wait(timeout=120)  # blocks this (the main) thread in the client
    waiting[0] = False
    while_waiting = [text for text, during in shown if during]
    assert len(while_waiting) >= 2, shown  # the tail drawn as it came, during the wait


def test_the_card_ends_while_a_cell_runs_a_long_command(client):
    _job, card = submit_job(script("echo started; sleep 3; echo finished", "-J blocked2"))
    seen: list[tuple[str, float]] = []
    card.observe(lambda change: seen.append((change["new"], time.monotonic())), names="state")
    result = client.compute("perlmutter").run("sleep 10; echo slept")
    returned = time.monotonic()
    assert result.output.strip() == "slept"
    assert "COMPLETED" in [state for state, at in seen if at < returned], seen
