"""Live job cards in JupyterLab 4 and Notebook 7, with a notebook running against the facility.

Each test writes a notebook (``%load_ext sfapi_jupyter`` then ``%%sfjob`` cells), runs it
with Run All, and checks what a user sees: the card's state badge (``job-state``), its tail
(``log-lines``), exit code, array counts, the cancel button. States are also recorded as
they appear (``state_recorder.js``), so short-lived states still count as seen. No timing
guesses: a job stays PENDING behind a dependency the test cancels, and RUNNING at a ``Gate``
(a file the script waits for) until the test has looked. Screenshots of each state go to
``test-artifacts/screenshots/<frontend>-<state>.png``.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import shot
from .notebook_ui import NotebookUI, wait_kernel_value
from .servers import FacilityServer

pytestmark = pytest.mark.browser

LOAD = "%load_ext sfapi_jupyter"
HEADER = "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q debug\n#SBATCH -t 00:05:00\n"
STATE_TIMEOUT = 45_000  # ms; a state change normally shows within a few seconds


def sfjob(options: str, body: str, directives: str = "") -> str:
    return f"%%sfjob {options}".rstrip() + "\n" + HEADER + directives + body


# -- reading cards ----------------------------------------------------------------------------
def card(ui: NotebookUI, cell: int) -> Locator:
    return ui.cell(cell).locator('[data-testid="job-card"]')


def badge(ui: NotebookUI, cell: int) -> Locator:
    return card(ui, cell).locator('[data-testid="job-state"]').first


def stdout_lines(ui: NotebookUI, cell: int) -> Locator:
    return card(ui, cell).locator(
        '[data-testid="log-tail"][data-stream="stdout"] [data-testid="log-lines"]'
    )


def shown_jobid(ui: NotebookUI, cell: int) -> str:
    locator = card(ui, cell).locator('[data-testid="job-id"]').first
    expect(locator).to_have_text(re.compile(r"\d"), timeout=STATE_TIMEOUT)
    return locator.inner_text().strip()


def events(page: Page, jobid: str) -> list[dict[str, Any]]:
    """Everything the card of ``jobid`` showed, in order (see state_recorder.js)."""
    found: list[dict[str, Any]] = []
    for record in page.evaluate("() => window.__sfCards || []"):
        if record.get("id") == jobid:
            found.extend(record["events"])
    return found


def states_seen(page: Page, jobid: str) -> list[str]:
    seen: list[str] = []
    for event in events(page, jobid):
        if event["state"] and (not seen or seen[-1] != event["state"]):
            seen.append(event["state"])
    return seen


def assert_in_order(seen: list[str], expected: list[str]) -> None:
    rest = iter(seen)
    assert all(state in rest for state in expected), f"expected {expected} in order, saw {seen}"


def wait_state(ui: NotebookUI, cell: int, state: str) -> None:
    expect(badge(ui, cell)).to_have_text(state, timeout=STATE_TIMEOUT)
    ui.lap(f"cell {cell}: {state}")


# -- set-up -------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _widgets_ready() -> None:
    """A clear failure while the built widget bundles are missing."""
    from sfapi_jupyter.widgets import missing_bundles

    missing = missing_bundles()
    if missing:
        pytest.fail(f"not built yet: {missing} (npm --prefix js run build)", pytrace=False)


@pytest.fixture
def machine(facility: FacilityServer) -> Iterator[Any]:
    """elvis's perlmutter, from the test process; jobs a test leaves running are cancelled."""
    with facility.client() as client:
        perlmutter = client.compute("perlmutter")
        yield perlmutter
        for job in perlmutter.jobs("elvis"):
            if not job.is_terminal:
                with contextlib.suppress(Exception):
                    job.cancel()


@pytest.fixture(autouse=True)
def _clean_queue(machine: Any) -> None:
    """Every test starts with elvis's queue empty (the fixture cancels leftovers after)."""


class Gate:
    """A file a job script waits for, so a job stays RUNNING until the test has looked.

    The local facility runs job scripts as real processes on this host, so the test
    releases them by creating the file: no guessing how long a ``sleep`` must be.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def wait(self) -> str:
        """Shell lines that wait (at most 120 s) for the release."""
        return f"for _ in $(seq 1200); do [ -e {self.path} ] && break; sleep 0.1; done\n"

    def release(self) -> None:
        self.path.touch()


@pytest.fixture
def gate(browser_root: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[], Gate]]:
    """``gate()`` makes a new gate for this test; all are opened at teardown."""
    folder = browser_root / "gates"
    folder.mkdir(exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name)
    made: list[Gate] = []

    def make() -> Gate:
        made.append(Gate(folder / f"{test}-{len(made)}"))
        made[-1].path.unlink(missing_ok=True)
        return made[-1]

    yield make
    for opened in made:
        opened.release()  # never leave a job waiting


# -- the tests ----------------------------------------------------------------------------------
def test_card_follows_pending_running_completed_with_tail(
    open_notebook, page, frontend, machine, gate
):
    # PENDING: the job depends on a blocker job that the test cancels when it has seen
    # PENDING. RUNNING: the script prints two lines and waits for the test's gate.
    blocker = machine.submit(HEADER + "sleep 300\n")
    hold = gate()
    body = (
        'echo "tail line 1 of 4"; echo "tail line 2 of 4"\n'
        + hold.wait
        + 'echo "tail line 3 of 4"; sleep 0.3; echo "tail line 4 of 4"\n'
    )
    held = f"#SBATCH -J tail-demo\n#SBATCH --dependency=afterany:{blocker.jobid}\n"
    ui = open_notebook([LOAD, sfjob("", body, held)])
    ui.run_all()
    wait_state(ui, 1, "PENDING")
    jobid = shown_jobid(ui, 1)
    expect(card(ui, 1).locator('[data-testid="job-reason"]')).to_have_text("Dependency")
    shot(page, f"{frontend}-pending", card(ui, 1))

    blocker.cancel()
    wait_state(ui, 1, "RUNNING")
    out = stdout_lines(ui, 1)
    expect(out).to_contain_text("tail line 2 of 4", timeout=STATE_TIMEOUT)
    expect(out).not_to_contain_text("tail line 3")
    expect(badge(ui, 1)).to_have_text("RUNNING")  # lines arrived while it runs
    shot(page, f"{frontend}-running", card(ui, 1))

    hold.release()
    wait_state(ui, 1, "COMPLETED")
    for i in range(1, 5):
        expect(out).to_contain_text(f"tail line {i} of 4")
    shot(page, f"{frontend}-completed", card(ui, 1))

    assert_in_order(states_seen(page, jobid), ["PENDING", "RUNNING", "COMPLETED"])
    steps = card(ui, 1).locator('[data-testid="job-timeline"] [data-state]')
    assert_in_order(
        [steps.nth(i).get_attribute("data-state") or "" for i in range(steps.count())],
        ["PENDING", "RUNNING", "COMPLETED"],
    )
    assert "COMPLETED" in wait_kernel_value(ui, "job.state.value", "COMPLETED")


def test_failed_job_shows_exit_code(open_notebook, page, frontend):
    ui = open_notebook([LOAD, sfjob("", 'echo "about to fail"\nexit 3\n')])
    ui.run_all()
    wait_state(ui, 1, "FAILED")
    exit_code = card(ui, 1).locator('[data-testid="job-exit-code"]').first
    expect(exit_code).to_have_text(re.compile(r"^\s*3\b"), timeout=STATE_TIMEOUT)
    expect(stdout_lines(ui, 1)).to_contain_text("about to fail", timeout=STATE_TIMEOUT)
    shot(page, f"{frontend}-failed", card(ui, 1))
    assert wait_kernel_value(ui, "job.exit_code", r"^3$") == "3"


def test_cancel_button_ends_running_job(open_notebook, page, frontend):
    body = 'for i in $(seq 1 300); do echo "tick $i"; sleep 1; done\n'
    ui = open_notebook([LOAD, sfjob("", body)])
    ui.run_all()
    wait_state(ui, 1, "RUNNING")
    expect(stdout_lines(ui, 1)).to_contain_text("tick 1", timeout=STATE_TIMEOUT)

    card(ui, 1).locator('[data-testid="cancel-button"]').click()
    confirm = card(ui, 1).locator('[data-testid="confirm-cancel"]')
    expect(confirm).to_be_visible()
    shot(page, f"{frontend}-cancel-confirm", card(ui, 1))
    confirm.click()

    wait_state(ui, 1, "CANCELLED")
    shot(page, f"{frontend}-cancelled", card(ui, 1))
    expect(card(ui, 1).locator('[data-testid="cancel-button"]')).to_be_hidden()
    assert "CANCELLED" in wait_kernel_value(ui, "job.state.value", "CANCELLED")


def test_job_array_shows_counts_per_state(open_notebook, page, frontend, gate):
    # Task 3 fails at once; tasks 0-2 run until the gate opens: a card with mixed counts.
    hold = gate()
    body = (
        'if [ "$SLURM_ARRAY_TASK_ID" = 3 ]; then echo "task 3 fails"; exit 3; fi\n'
        + hold.wait
        + 'echo "task $SLURM_ARRAY_TASK_ID done"\n'
    )
    ui = open_notebook([LOAD, sfjob("", body, "#SBATCH --array=0-3\n")])
    ui.run_all()
    counts = card(ui, 1).locator('[data-testid="array-counts"]')

    def chip(state: str) -> Locator:
        return counts.locator(f'[data-state="{state}"]')

    def shown() -> dict[str, str]:
        return {
            chip.get_attribute("data-state") or "?": chip.get_attribute("data-count") or "?"
            for chip in counts.locator("[data-state]").all()
        }

    expect(chip("RUNNING")).to_have_attribute("data-count", "3", timeout=STATE_TIMEOUT)
    try:  # task 3 ended while the others run: it must still be counted
        expect(chip("FAILED")).to_have_attribute("data-count", "1", timeout=15_000)
    except AssertionError:
        shot(page, f"{frontend}-array-running", card(ui, 1))
        raise AssertionError(
            f"while tasks 0-2 run and task 3 has failed, the card counts {shown()}; "
            "expected RUNNING=3 and FAILED=1"
        ) from None
    shot(page, f"{frontend}-array-running", card(ui, 1))

    hold.release()
    expect(chip("COMPLETED")).to_have_attribute("data-count", "3", timeout=STATE_TIMEOUT)
    expect(chip("FAILED")).to_have_attribute("data-count", "1")
    expect(chip("FAILED")).to_contain_text("1")
    expect(chip("RUNNING")).to_have_count(0)
    expect(chip("PENDING")).to_have_count(0)
    shot(page, f"{frontend}-array-done", card(ui, 1))

    history = [e["counts"] for e in events(page, shown_jobid(ui, 1)) if e["counts"]]
    assert sorted(history[-1].split(";")) == ["COMPLETED=3", "FAILED=1"], history


def test_cards_keep_updating_while_a_cell_waits(open_notebook, page, frontend, gate):
    """Cell 2 blocks in ``%%sfjob --wait``; meanwhile cell 1's card keeps updating.

    Both jobs hold at a gate, so the order is fixed: cell 2 blocks, then the test releases
    cell 1's job and its card must reach COMPLETED (with its output) while cell 2 still
    blocks; then cell 2's job is released and the cell ends.
    """
    hold_first, hold_second = gate(), gate()
    first = 'echo "first starts"\n' + hold_first.wait + 'echo "first ends"\n'
    second = 'echo "second starts"\n' + hold_second.wait + 'echo "second ends"\n'
    ui = open_notebook([LOAD, sfjob("--out first", first), sfjob("--wait --out second", second)])
    ui.run_all()
    wait_state(ui, 2, "RUNNING")
    wait_state(ui, 1, "RUNNING")
    assert ui.cell_busy(2), "the --wait cell ended while its job was held"
    hold_first.release()
    wait_state(ui, 1, "COMPLETED")
    ended = time.monotonic()
    assert ui.cell_busy(2), "the --wait cell ended while its job was held"
    assert_in_order(states_seen(page, shown_jobid(ui, 1)), ["RUNNING", "COMPLETED"])

    # Output a user should see while the cell still blocks, checked together so that one
    # report lists every gap.
    checks = {
        "cell 1's card shows its output ('first ends')": lambda: (
            "first ends" in stdout_lines(ui, 1).inner_text()
        ),
        "cell 2's card shows its output so far ('second starts')": lambda: (
            "second starts" in stdout_lines(ui, 2).inner_text()
        ),
    }
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(check() for check in checks.values()):
        page.wait_for_timeout(250)
    missing = [what for what, check in checks.items() if not check()]
    # Card 1's summary, written into its output at the end, draws it afresh while cell 2
    # blocks; a view whose request for a snapshot goes unanswered for 2.5 s says the kernel
    # is gone: look past that.
    page.wait_for_timeout(max(0, 4 - (time.monotonic() - ended)) * 1000)
    assert ui.cell_busy(2), "the --wait cell ended while its job was held"
    shot(page, f"{frontend}-wait", card(ui, 1))
    # A busy kernel is not a missing one: no card may claim the kernel is gone.
    for cell in (1, 2):
        notices = {
            e["message"]
            for e in events(page, shown_jobid(ui, cell))
            if re.search(r"not connected|No kernel|Saved view", e.get("message") or "")
        }
        if notices:
            missing.append(f"cell {cell}'s card stays live (it said {sorted(notices)})")

    hold_second.release()
    wait_state(ui, 2, "COMPLETED")
    ui.wait_cell_done(2, timeout=60)
    expect(stdout_lines(ui, 2)).to_contain_text("second ends", timeout=STATE_TIMEOUT)
    shot(page, f"{frontend}-wait-done", card(ui, 2))
    assert "COMPLETED" in wait_kernel_value(ui, "second.state.value", "COMPLETED")
    assert not missing, "while a later cell blocked in %%sfjob --wait, not seen: " + "; ".join(
        missing
    )
