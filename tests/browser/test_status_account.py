"""The status board and the account view in JupyterLab 4 and Notebook 7, against the facility.

The board is made with a short refresh interval; the facility's admin command then sets
perlmutter degraded, and the board shows it without the cell being run again, with the
change marked. Screenshots: ``test-artifacts/screenshots/<frontend>-status-*.png`` and
``<frontend>-account*.png``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import SCREENSHOTS, VIEWPORT, shot
from .servers import CLI, FacilityServer

pytestmark = pytest.mark.browser

LOAD = "%load_ext sfapi_jupyter"
TIMEOUT = 45_000  # ms
NOTE = "Scratch filesystem is slow: metadata server failover in progress"


def admin(facility: FacilityServer, *args: str) -> str:
    """``sfapi-jupyter facility ...`` on the running facility's state directory."""
    done = subprocess.run(
        [*CLI, "facility", *args, "--state", str(facility.state_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def perlmutter_back_to_active(facility: FacilityServer) -> Iterator[None]:
    yield
    admin(facility, "status", "set", "perlmutter", "active", "--note", "")


def element_shot(page: Page, locator: Locator, name: str) -> None:
    """A screenshot of one whole widget (for the docs), beside the page screenshots; the
    window is made tall enough for it first."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or VIEWPORT
    box = locator.bounding_box()
    tall = int(box["height"]) + 300 if box else size["height"]
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], tall)})
    try:
        locator.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    finally:
        page.set_viewport_size(size)


def test_status_board_shows_a_change_without_rerunning(
    open_notebook, page, frontend, facility, perlmutter_back_to_active
):
    ui = open_notebook(
        [
            LOAD,
            "from sfapi_jupyter.notebook.status import status_board\n"
            "board = status_board(interval=1)\nboard",
        ]
    )
    ui.run_all()
    board = ui.cell(1).locator('[data-testid="status-board"]')
    perlmutter = board.locator('[data-testid="status-row"][data-resource="perlmutter"]')
    expect(perlmutter).to_have_attribute("data-status", "active", timeout=TIMEOUT)
    expect(perlmutter.locator('[data-testid="status-chip"]')).to_have_text("Up")
    groups = board.locator('[data-testid="status-group"]')
    expect(groups).to_have_count(4)
    in_order = ["compute", "storage", "filesystem", "service"]
    assert [groups.nth(i).get_attribute("data-group") for i in range(4)] == in_order
    ui.wait_cell_done(1)
    shot(page, f"{frontend}-status-board", board)
    before = ui.prompt(1).inner_text()

    admin(facility, "status", "set", "perlmutter", "degraded", "--note", NOTE)

    expect(perlmutter).to_have_attribute("data-status", "degraded", timeout=TIMEOUT)
    expect(perlmutter.locator('[data-testid="status-chip"]')).to_have_text("Degraded")
    expect(perlmutter).to_have_attribute("data-changed", "true")
    expect(perlmutter.locator('[data-testid="status-change"]')).to_contain_text(
        "changed from Up to Degraded"
    )
    expect(perlmutter.locator('[data-testid="status-note"]').first).to_contain_text("Scratch")
    expect(board.locator('[data-testid="status-changes"]')).to_contain_text(
        "Perlmutter Up → Degraded"
    )
    assert ui.prompt(1).inner_text() == before, "the cell was run again"
    shot(page, f"{frontend}-status-board-degraded", board)
    element_shot(
        page,
        board.locator('[data-testid="status-group"][data-group="compute"]').first,
        f"{frontend}-status-board-compute",
    )

    # A planned outage: click its bar for the description.
    archive = board.locator('[data-testid="status-row"][data-resource="archive"]')
    archive.locator('[data-testid="outage-bar"]').first.click()
    detail = board.locator('[data-testid="outage-detail"]')
    expect(detail).to_be_visible()
    expect(detail).to_contain_text("HPSS tape library firmware upgrade")
    element_shot(page, board, f"{frontend}-status-board-element")

    # Marked as seen, the change marks go.
    board.locator('[data-testid="status-seen"]').click()
    expect(perlmutter).to_have_attribute("data-changed", "false", timeout=TIMEOUT)
    expect(perlmutter).to_have_attribute("data-status", "degraded")


def test_account_view_renders(open_notebook, page, frontend):
    ui = open_notebook([LOAD, "%sfaccount --out account", "account.dataframe"])
    ui.run_all()
    view = ui.cell(1).locator('[data-testid="account-view"]')
    expect(view).to_be_visible(timeout=TIMEOUT)
    expect(view.locator('[data-testid="account-user"]')).to_have_text("elvis")
    expect(view.locator('[data-testid="project-row"]').first).to_be_visible()
    expect(view.locator('[data-testid="hours-bar"]').first).to_be_visible()
    expect(view.locator('[data-testid="client-level"]')).to_have_text("red")
    expect(view.locator('[data-testid="client-ranges"]')).to_contain_text("127.0.0.0/8")
    # a red client lives 2 days: the expiry warning is shown before it bites
    expect(view.locator('[data-testid="account-message"]').first).to_contain_text("expires in")
    ui.wait_output(2, "cpu_left")
    shot(page, f"{frontend}-account", view)
    element_shot(page, view, f"{frontend}-account-element")
