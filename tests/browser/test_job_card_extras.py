"""The job card's array task grid, cost panel and bell in JupyterLab 4 and Notebook 7.

An array with one failing task: the grid marks it, a click shows that task's output, and the
resubmit button sends it again as a new array. A finished job's cost panel. A notification
raised when a job ends: the page's ``Notification`` is a recorder installed before the card
renders, and the tab is made to look hidden first (a user who went elsewhere).
Screenshots: ``test-artifacts/screenshots/<frontend>-{array-grid,cost,notified}.png``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .conftest import shot
from .test_job_cards import (  # noqa: F401 - fixtures
    LOAD,
    STATE_TIMEOUT,
    _clean_queue,
    _widgets_ready,
    card,
    gate,
    machine,
    sfjob,
    wait_state,
)

pytestmark = pytest.mark.browser

RECORDER = """
window.__notifications = [];
class RecordingNotification {
  static permission = "default";
  static requestPermission() {
    RecordingNotification.permission = "granted";
    return Promise.resolve("granted");
  }
  constructor(title, options) {
    const { body = "", tag = "" } = options || {};
    window.__notifications.push({ title, body, tag });
  }
}
Object.defineProperty(window, "Notification",
  { value: RecordingNotification, configurable: true, writable: true });
"""

HIDE_TAB = """() => {
  Object.defineProperty(document, "visibilityState", { get: () => "hidden", configurable: true });
  Object.defineProperty(document, "hidden", { get: () => true, configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_array_grid_shows_the_failed_tasks_output(open_notebook, page, frontend):
    body = (
        'echo "task $SLURM_ARRAY_TASK_ID says hi"\n'
        'if [ "$SLURM_ARRAY_TASK_ID" = 1 ]; then echo "task 1 broke"; exit 3; fi\n'
    )
    ui = open_notebook([LOAD, sfjob("", body, "#SBATCH --array=0-2\n")])
    ui.run_all()
    grid = card(ui, 1).locator('[data-testid="task-grid"]')
    failed = grid.locator('[data-testid="grid-task"][data-failed="true"]')
    expect(failed).to_have_count(1, timeout=STATE_TIMEOUT)
    expect(grid.locator('[data-state="COMPLETED"]')).to_have_count(2, timeout=STATE_TIMEOUT)
    expect(failed).to_have_attribute("data-state", "FAILED")
    expect(failed).to_have_attribute("title", re.compile(r"^task 1: FAILED, exit 3"))
    failed.click()
    stdout = '[data-testid="log-tail"][data-stream="stdout"] [data-testid="log-lines"]'
    lines = card(ui, 1).locator(stdout)
    expect(lines).to_contain_text("task 1 broke", timeout=STATE_TIMEOUT)
    expect(lines).not_to_contain_text("task 0")
    expect(failed).to_have_attribute("aria-pressed", "true")
    shot(page, f"{frontend}-array-grid", card(ui, 1))
    resubmit = card(ui, 1).locator('[data-testid="resubmit-failed"]')
    expect(resubmit).to_have_text("Resubmit 1 failed task (--array=1)")
    resubmit.click()
    note = card(ui, 1).locator('[data-testid="task-grid-note"]')
    expect(note).to_contain_text("resubmitted as job", timeout=STATE_TIMEOUT)
    expect(resubmit).to_be_hidden()


def test_cost_panel_of_a_finished_job(open_notebook, page, frontend):
    body = "python3 -c \"b = b'x' * (40 << 20); import time; time.sleep(1)\"\n"
    ui = open_notebook([LOAD, sfjob("", body, "#SBATCH --mem=1G\n")])
    ui.run_all()
    wait_state(ui, 1, "COMPLETED")
    panel = card(ui, 1).locator('[data-testid="cost-panel"]')
    expect(panel).to_be_visible(timeout=STATE_TIMEOUT)
    expect(panel.locator('[data-testid="cost-memory"]')).to_contain_text("of 1G")
    expect(panel.locator('[data-testid="cost-cpu"]')).to_contain_text("%")
    expect(panel.locator('[data-testid="cost-node-hours"]')).to_contain_text("no QOS charge factor")
    expect(panel.locator('[data-testid="cost-advice"]')).to_be_hidden()
    shot(page, f"{frontend}-cost", card(ui, 1))


def test_bell_notifies_when_the_job_ends_in_a_background_tab(open_notebook, page, frontend, gate):
    page.add_init_script(RECORDER)
    hold = gate()
    ui = open_notebook([LOAD, sfjob("", hold.wait + "echo done\n", "#SBATCH -J belltest\n")])
    ui.run_all()
    wait_state(ui, 1, "RUNNING")
    bell = card(ui, 1).locator('[data-testid="notify-toggle"]')
    bell.click()
    expect(bell).to_have_attribute("aria-pressed", "true")
    page.evaluate(HIDE_TAB)
    hold.release()
    wait_state(ui, 1, "COMPLETED")
    ours = "() => window.__notifications.some(n => n.title === 'belltest COMPLETED')"
    page.wait_for_function(ours, timeout=STATE_TIMEOUT)
    made = page.evaluate("() => window.__notifications")
    jobid = card(ui, 1).locator('[data-testid="job-id"]').first.inner_text().strip()
    tag = f"sfapi-jupyter-perlmutter-{jobid}"
    body = f"Job {jobid} on perlmutter ended COMPLETED."
    from_card = [n for n in made if n["title"] == "belltest COMPLETED"]
    assert from_card == [{"title": "belltest COMPLETED", "body": body, "tag": tag}], made
    # The NERSC panel may tell of the same end: with the same tag the browser shows one.
    assert {n["tag"] for n in made} == {tag}, made
    shot(page, f"{frontend}-notified", card(ui, 1))
