"""The NERSC side panel in JupyterLab 4 and Notebook 7, against the facility, with no kernel.

A notebook submits two jobs with ``%%sfjob``; the panel lists them, follows the short one to
COMPLETED (a notification says so), shows its output, cancels the long one through its
confirmation dialog; with the kernel shut down and the page opened again, both are still
listed; the facility's admin command turns perlmutter degraded and the panel shows it without
a reload. Screenshots: ``test-artifacts/screenshots/<frontend>-panel-*.png``.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sfapi_jupyter import Client

from ..support.scripts import batch_script
from .conftest import shot
from .panel_ui import NOTIFICATION_RECORDER, PanelUI, page_url
from .test_job_cards import LOAD, sfjob, shown_jobid
from .test_status_account import admin, perlmutter_back_to_active  # noqa: F401 - fixture

pytestmark = pytest.mark.browser

TIMEOUT = 45_000  # ms; the panel polls every 2 s here
QUICK = 'for i in 1 2 3; do echo "step $i of 3"; sleep 1; done\necho "all done"\n'
LONG = 'echo "long job started"\nsleep 600\n'


def test_panel_follows_jobs_without_a_kernel(
    open_notebook, page, frontend, facility, jupyter, perlmutter_back_to_active
):
    page.add_init_script(NOTIFICATION_RECORDER)
    ui = open_notebook([LOAD, sfjob("", QUICK), sfjob("", LONG)])
    ui.run_all()
    quick, long = shown_jobid(ui, 1), shown_jobid(ui, 2)
    panel = PanelUI(page, frontend).open()
    expect(panel.resource("perlmutter")).to_have_attribute("data-status", "active")
    expect(panel.job(long)).to_be_visible(timeout=TIMEOUT)
    expect(panel.queued(long).locator(".sfp-cancel")).to_be_visible()

    # The short job moves to "Recent" as COMPLETED, and the (opt-in) notification says so.
    expect(panel.recent(quick)).to_have_attribute("data-state", "COMPLETED", timeout=TIMEOUT)
    expect(panel.queued(quick)).to_have_count(0)
    shot(page, f"{frontend}-panel-jobs", panel.root)
    page.wait_for_function(
        f"() => (window.__sfpNotifications || []).some(n => n.title.includes('{quick}'))",
        timeout=TIMEOUT,
    )
    titles = [n["title"] for n in panel.notifications()]
    assert f"NERSC job {quick}: COMPLETED" in titles, titles

    # Its output, read to the end (new bytes only: the offset is the file's whole size).
    view = panel.open_output(quick)
    expect(view.locator(".sfp-output-text")).to_contain_text("all done", timeout=TIMEOUT)
    expect(view).to_have_attribute("data-done", "true", timeout=TIMEOUT)
    text = view.locator(".sfp-output-text").evaluate("n => n.textContent")
    assert text.count("step 1 of 3") == 1, text  # no byte read twice
    assert int(view.get_attribute("data-offset") or 0) == len(text.encode())
    shot(page, f"{frontend}-panel-output")

    # Cancel the long one: a confirmation first; "Keep it" leaves it running.
    dialog = panel.cancel(long)
    shot(page, f"{frontend}-panel-cancel-dialog")
    dialog.get_by_role("button", name="Keep it").click()
    page.wait_for_timeout(2500)  # a refresh later, it is still queued or running
    expect(panel.queued(long)).to_have_count(1)
    dialog = panel.cancel(long)
    dialog.get_by_role("button", name="Cancel job").click()
    expect(panel.recent(long)).to_have_attribute("data-state", "CANCELLED", timeout=TIMEOUT)

    # No kernel: the page opened afresh still lists both, from the server extension alone.
    ui.shutdown_kernel()
    assert not [s for s in jupyter.api("/api/sessions") if s.get("path") == ui.path]
    page.goto(page_url(jupyter.base_url, frontend, jupyter.token))
    panel = PanelUI(page, frontend).open()
    expect(panel.recent(quick)).to_have_attribute("data-state", "COMPLETED", timeout=TIMEOUT)
    expect(panel.recent(long)).to_have_attribute("data-state", "CANCELLED", timeout=TIMEOUT)

    # The facility's admin turns perlmutter degraded: the panel shows it at its next poll.
    admin(facility, "status", "set", "perlmutter", "degraded", "--note", "Scratch is slow")
    expect(panel.resource("perlmutter")).to_have_attribute(
        "data-status", "degraded", timeout=TIMEOUT
    )
    expect(panel.resource("perlmutter")).to_contain_text("Degraded")
    shot(page, f"{frontend}-panel-degraded")


def test_panel_in_the_dark_theme(page, jupyter, facility):
    """JupyterLab's dark theme: the panel's neutrals follow it (screenshot for the docs)."""
    page.goto(page_url(jupyter.base_url, "lab", jupyter.token))
    panel = PanelUI(page, "lab").open()
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme', "
        "{theme: 'JupyterLab Dark'})"
    )
    expect(page.locator("body[data-jp-theme-light='false']")).to_have_count(1, timeout=TIMEOUT)
    try:
        expect(panel.root.locator(".sfp-resource").first).to_be_visible()
        shot(page, "lab-panel-dark")
        background = panel.root.evaluate("n => getComputedStyle(n).backgroundColor")
    finally:  # the theme is a user setting, shared by the run's other tests
        page.evaluate(
            "() => window.jupyterapp.commands.execute('apputils:change-theme', "
            "{theme: 'JupyterLab Light'})"
        )
    # dark: a background with every channel below the middle
    channels = [int(c) for c in background[background.index("(") + 1 : -1].split(",")[:3]]
    assert max(channels) < 128, background


def test_output_shown_again_while_its_read_waits_shows_each_byte_once(page, jupyter, facility):
    """A slow SF API: the first read of a job's output has not been answered when the user
    switches to another tab and back. The view asks again on being shown; that second read
    must wait for the first, not start from the same offset and show the text twice."""
    key = facility.key_file.read_text()
    with Client(api_base_url=facility.api_url, token_url=facility.token_url, key=key) as client:
        job = client.compute("perlmutter").submit(batch_script(QUICK, "-J slowread"))
        job.wait(timeout=120)
    page.goto(page_url(jupyter.base_url, "lab", jupyter.token))
    PanelUI(page, "lab").open()
    held: list = []  # output reads the "server" has not answered yet
    holding = [True]

    def slow_api(route) -> None:
        if holding[0]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/sfapi-jupyter/output/**", slow_api)
    page.evaluate(
        "([jobid]) => window.jupyterapp.commands.execute('sfapi-jupyter:open-output', "
        "{machine: 'perlmutter', jobid, name: 'slowread'})",
        [job.jobid],
    )
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1, "the output view sent no read"
    page.evaluate("() => window.jupyterapp.commands.execute('launcher:create')")  # another tab
    page.locator(".jp-MainAreaWidget .jp-Launcher").first.wait_for()
    page.locator(f'.lm-TabBar-tab[title="Output of job {job.jobid} on perlmutter"]').click()
    page.wait_for_timeout(1000)  # shown again: the view asks for more while the first waits
    holding[0] = False
    for route in held:  # the old code sent a second read meanwhile: both answer from byte 0
        route.continue_()
    view = page.locator(f'.sfp-output[data-jobid="{job.jobid}"]')
    expect(view).to_have_attribute("data-done", "true", timeout=TIMEOUT)
    text = view.locator(".sfp-output-text").evaluate("n => n.textContent")
    assert text.count("step 1 of 3") == 1, text
    assert int(view.get_attribute("data-offset") or 0) == len(text.encode())
