"""The toolkit under a real JupyterHub in headless Chromium: two users log in on the Hub's
login page, each reaches ``/user/NAME/lab``, runs a ``%%sfjob`` cell whose job card follows
the job to COMPLETED with its output streamed under the base URL, and sees only their own
jobs; ``install-kernel --user`` adds "Python (SF API)" to that user's launcher, and a
notebook on it runs ``%sfstatus`` with no ``%load_ext``.

Each user has a browser context of their own (their own cookies, as two people would).
Screenshots: ``test-artifacts/screenshots/hub-*.png``.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import test_job_cards as cards
from tests.browser.conftest import shot

from .hub_ui import HubNotebookUI, UserServer
from .users import USERS, HubUser, install_kernel

pytestmark = [pytest.mark.browser, pytest.mark.hub]

ALMA, BRUNO = USERS


def assert_nothing_of(other: HubUser, text: str, users: dict[str, HubUser]) -> None:
    for user in users.values():
        for secret in user.secrets():
            assert secret not in text, f"{user.name}'s key in the page"
    assert other.name not in text and other.client_id not in text, f"{other.name} in the page"


def test_each_user_runs_a_job_card_to_completed_and_sees_only_their_own(as_user, hub_users):
    shown: dict[str, str] = {}
    for name in USERS:
        page, server = as_user(name)
        shot(page, f"hub-{name}-lab")
        server.write_notebook(
            "hub-job.ipynb",
            [cards.LOAD, cards.sfjob("", f'echo "hub line 1 of {name}"; echo "hub line 2"\n')],
        )
        ui = HubNotebookUI(page, server, "lab").open("hub-job.ipynb")  # type: ignore[arg-type]
        ui.run_all()
        cards.wait_state(ui, 1, "COMPLETED")
        expect(cards.stdout_lines(ui, 1)).to_contain_text(
            f"hub line 1 of {name}", timeout=cards.STATE_TIMEOUT
        )
        expect(cards.stdout_lines(ui, 1)).to_contain_text("hub line 2")
        shown[name] = cards.shown_jobid(ui, 1)
        shot(page, f"hub-{name}-job-card-completed", cards.card(ui, 1))

        status, body = server.extension(page, "jobs")
        assert status == 200, body
        listed = {
            str(job["jobid"])
            for machine in json.loads(body)["machines"]
            for job in (*machine["jobs"], *machine["recent"])
        }
        other = hub_users[next(n for n in USERS if n != name)]
        assert_nothing_of(other, body, hub_users)
        assert_nothing_of(other, page.content(), hub_users)
        if other.name in shown:
            assert shown[other.name] not in listed, f"{other.name}'s job shown to {name}"
        # the panel's data for this user: their job is there (recent once it has ended)
        assert shown[name] in listed or _wait_listed(server, page, shown[name])
        ui.shutdown_kernel()


def _wait_listed(server: UserServer, page: Page, jobid: str) -> bool:
    for _ in range(30):
        status, body = server.extension(page, "jobs")
        doc = json.loads(body) if status == 200 else {"machines": []}
        if any(
            str(job["jobid"]) == jobid
            for machine in doc["machines"]
            for job in (*machine["jobs"], *machine["recent"])
        ):
            return True
        page.wait_for_timeout(1000)
    return False


def test_install_kernel_puts_sfapi_in_the_launcher_and_sfstatus_runs_without_load_ext(
    as_user, hub_users, hub_python
):
    install_kernel(hub_users[BRUNO], hub_python)
    page, server = as_user(BRUNO)
    page.goto(f"{server.base_url}/lab?reset")  # a fresh workspace: the launcher in front
    card = page.locator(".jp-LauncherCard", has_text="Python (SF API)")
    expect(card.first).to_be_visible(timeout=30_000)
    shot(page, "hub-launcher-sfapi-kernel")

    server.write_notebook("hub-status.ipynb", ["%sfstatus"], kernel="sfapi")
    ui = HubNotebookUI(page, server, "lab").open("hub-status.ipynb")  # type: ignore[arg-type]
    ui.run_all()
    ui.wait_cell_done(0)
    board = ui.cell(0).locator('[data-testid="status-board"]')
    perlmutter = board.locator('[data-testid="status-row"][data-resource="perlmutter"]')
    expect(perlmutter).to_have_attribute("data-status", "active", timeout=30_000)
    ui.assert_no_errors(0)
    assert not re.search(r"UsageError|not found", ui.output_text(0)), ui.output_text(0)
    shot(page, "hub-sfstatus-on-sfapi-kernel", board)
    ui.shutdown_kernel()

    # The other user never installed it: not in their launcher.
    other, alma = as_user(ALMA)
    other.goto(f"{alma.base_url}/lab?reset")
    expect(other.locator(".jp-LauncherCard").first).to_be_visible(timeout=30_000)
    assert other.locator(".jp-LauncherCard", has_text="Python (SF API)").count() == 0


def test_notebook7_under_the_hub_runs_a_job_card_to_completed(as_user):
    """Notebook 7 (``/user/NAME/notebooks/...``) is served by the same single-user server."""
    page, server = as_user(ALMA)
    body = 'echo "nb7 line under the hub"\n'
    server.write_notebook("hub-nb7.ipynb", [cards.LOAD, cards.sfjob("", body)])
    ui = HubNotebookUI(page, server, "nb7").open("hub-nb7.ipynb")  # type: ignore[arg-type]
    assert f"/user/{ALMA}/notebooks/" in page.url, page.url
    ui.run_all()
    cards.wait_state(ui, 1, "COMPLETED")
    expect(cards.stdout_lines(ui, 1)).to_contain_text("nb7 line under the hub")
    shot(page, "hub-nb7-job-card-completed", cards.card(ui, 1))
    ui.shutdown_kernel()
