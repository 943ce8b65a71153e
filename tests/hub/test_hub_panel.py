"""The NERSC side panel under a real JupyterHub, in JupyterLab 4 and Notebook 7.

Alma, logged in through the Hub's login page, submits two jobs from a notebook at
``/user/hubalma/...``; her panel lists them, follows the short one to COMPLETED and shows its
output, cancels the long one through the dialog; with the kernel shut down and the page
opened again, both are still listed (the server extension alone); the facility's admin
command turns perlmutter degraded and the panel shows it without a reload. Bruno, logged in
at the same time in a browser of his own, sees none of her jobs in his panel.
Screenshots: ``test-artifacts/screenshots/hub-<frontend>-panel-*.png``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.browser.panel_ui import PanelUI, page_url
from tests.browser.servers import FacilityServer
from tests.browser.test_job_cards import LOAD, sfjob, shown_jobid
from tests.browser.test_status_account import admin

from .hub_ui import HubNotebookUI
from .users import USERS

pytestmark = [pytest.mark.browser, pytest.mark.hub]

ALMA, BRUNO = USERS
TIMEOUT = 60_000  # ms
QUICK = 'for i in 1 2 3; do echo "hub panel step $i"; sleep 1; done\necho "hub panel done"\n'
LONG = 'echo "long hub job"\nsleep 600\n'


@pytest.fixture
def perlmutter_back_to_active(hub_facility: FacilityServer) -> Iterator[None]:
    yield
    admin(hub_facility, "status", "set", "perlmutter", "active", "--note", "")


@pytest.mark.parametrize("frontend", ["lab", "nb7"])
def test_panel_under_the_hub_follows_cancels_and_outlives_the_kernel(
    frontend, as_user, hub_facility, perlmutter_back_to_active
):
    page, server = as_user(ALMA)
    server.write_notebook(f"hub-panel-{frontend}.ipynb", [LOAD, sfjob("", QUICK), sfjob("", LONG)])
    ui = HubNotebookUI(page, server, frontend).open(f"hub-panel-{frontend}.ipynb")  # type: ignore[arg-type]
    ui.run_all()
    quick, long = shown_jobid(ui, 1), shown_jobid(ui, 2)
    panel = PanelUI(page, frontend).open()
    expect(panel.resource("perlmutter")).to_have_attribute("data-status", "active")
    expect(panel.job(long)).to_be_visible(timeout=TIMEOUT)
    expect(panel.recent(quick)).to_have_attribute("data-state", "COMPLETED", timeout=TIMEOUT)
    shot(page, f"hub-{frontend}-panel-jobs", panel.root)

    view = panel.open_output(quick)
    expect(view.locator(".sfp-output-text")).to_contain_text("hub panel done", timeout=TIMEOUT)
    text = view.locator(".sfp-output-text").evaluate("n => n.textContent")
    assert text.count("hub panel step 1") == 1, text  # no byte read twice
    shot(page, f"hub-{frontend}-panel-output")

    # Bruno's panel, open at the same time: none of Alma's jobs.
    other, _ = as_user(BRUNO)
    theirs = PanelUI(other, "lab").open()
    expect(theirs.resource("perlmutter")).to_have_attribute("data-status", "active")
    other.wait_for_timeout(3000)  # at least one poll of his jobs after the panel drew
    assert theirs.job(quick).count() == 0 and theirs.job(long).count() == 0
    assert ALMA not in theirs.root.inner_text()

    dialog = panel.cancel(long)
    dialog.get_by_role("button", name="Cancel job").click()
    expect(panel.recent(long)).to_have_attribute("data-state", "CANCELLED", timeout=TIMEOUT)

    # No kernel: the page opened afresh still lists both, from the server extension alone.
    ui.shutdown_kernel()
    page.goto(page_url(server.base_url, frontend))
    panel = PanelUI(page, frontend).open()
    expect(panel.recent(quick)).to_have_attribute("data-state", "COMPLETED", timeout=TIMEOUT)
    expect(panel.recent(long)).to_have_attribute("data-state", "CANCELLED", timeout=TIMEOUT)

    admin(hub_facility, "status", "set", "perlmutter", "degraded", "--note", "Scratch is slow")
    for p in (panel, theirs):
        expect(p.resource("perlmutter")).to_have_attribute(
            "data-status", "degraded", timeout=TIMEOUT
        )
    shot(page, f"hub-{frontend}-panel-degraded", panel.root)
