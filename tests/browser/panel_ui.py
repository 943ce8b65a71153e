"""Driving the NERSC side panel in JupyterLab 4 or Notebook 7, at any base URL.

Nothing here knows the server: pages are opened from a base URL (``http://host:port/`` or a
JupyterHub's ``http://host:port/user/NAME/``), so the Hub tests can use the same helpers.
The panel's DOM (labextension/src/views.ts): ``#sfapi-jupyter-panel``; resources
``.sfp-resource[data-resource][data-status]``; job rows ``.sfp-job[data-machine][data-jobid]
[data-state]`` in ``.sfp-queue`` (queued and running) or ``.sfp-recent`` (finished); a job's
output view ``.sfp-output[data-jobid]`` with ``data-offset`` (bytes read) and ``data-done``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from playwright.sync_api import Locator, Page, expect

PANEL_ID = "sfapi-jupyter-panel"

#: Replaces the browser's Notification with a recorder that is always allowed:
#: ``window.__sfpNotifications`` lists ``{title, body}`` of every notification shown.
NOTIFICATION_RECORDER = """(() => {
  const seen = [];
  window.__sfpNotifications = seen;
  class RecordedNotification {
    constructor(title, options) { seen.push({ title, body: (options || {}).body || '' }); }
    static get permission() { return 'granted'; }
    static requestPermission() { return Promise.resolve('granted'); }
    close() {}
  }
  window.Notification = RecordedNotification;
})();"""


def page_url(base_url: str, frontend: str, token: str | None = None, page: str = "") -> str:
    """JupyterLab's (``lab``, fresh workspace) or Notebook 7's tree (``nb7``) under ``base_url``."""
    base = base_url.rstrip("/") + "/"
    path = page or ("lab?reset" if frontend == "lab" else "tree")
    if token:
        path += ("&" if "?" in path else "?") + f"token={token}"
    return base + path


@dataclass
class PanelUI:
    page: Page
    frontend: str

    @property
    def root(self) -> Locator:
        return self.page.locator(f"#{PANEL_ID}")

    def open(self, timeout: float = 60) -> PanelUI:
        """Show the panel: Lab's left sidebar tab; Notebook 7's View → Left Sidebar → Show NERSC."""
        ms = timeout * 1000
        if self.frontend == "lab":
            # JupyterLab restores the user's last layout after it has drawn itself (a Hub
            # user's workspace holds the notebook and the sidebar of their last visit): a click
            # before the restore is undone by it, so wait for it (app.restored).
            self.page.wait_for_function("() => window.jupyterapp !== undefined", timeout=ms)
            self.page.evaluate("() => window.jupyterapp.restored.then(() => true)")
            tab = self.page.locator(f'.jp-SideBar li.lm-TabBar-tab[data-id="{PANEL_ID}"]')
            expect(tab).to_have_attribute("title", "NERSC", timeout=ms)
            if "lm-mod-current" not in (tab.get_attribute("class") or ""):
                tab.click()
        else:
            self.page.get_by_role("menuitem", name="View", exact=True).click(timeout=ms)
            # Lumino gives a submenu item no role (only aria-haspopup), so it is found by class.
            menu = self.page.locator(".lm-Menu")
            menu.locator('.lm-Menu-item[data-type="submenu"]', has_text="Left Sidebar").click()
            menu.get_by_role("menuitem", name=re.compile("NERSC")).click()
        expect(self.root).to_be_visible(timeout=ms)
        expect(self.root.locator(".sfp-resource").first).to_be_visible(timeout=ms)
        return self

    def resource(self, name: str) -> Locator:
        return self.root.locator(f'.sfp-resource[data-resource="{name}"]')

    def queued(self, jobid: str) -> Locator:
        return self.root.locator(f'.sfp-queue .sfp-job[data-jobid="{jobid}"]')

    def recent(self, jobid: str) -> Locator:
        return self.root.locator(f'.sfp-recent .sfp-job[data-jobid="{jobid}"]')

    def job(self, jobid: str) -> Locator:
        return self.root.locator(f'.sfp-job[data-jobid="{jobid}"]')

    def output(self, jobid: str) -> Locator:
        return self.page.locator(f'.sfp-output[data-jobid="{jobid}"]')

    def open_output(self, jobid: str) -> Locator:
        """Click the job; its output view, open with room to read it (in Notebook 7 it is in
        the area under the notebook, which opened as a bare tab bar before)."""
        self.job(jobid).locator(".sfp-job-name").click()
        view = self.output(jobid)
        expect(view).to_be_visible()
        height = 0.0
        for _ in range(50):  # the split's layout is set on the next frames
            height = view.evaluate("n => n.getBoundingClientRect().height")
            if height >= 150:
                break
            self.page.wait_for_timeout(100)
        assert height >= 150, f"the output view of {jobid} has no room: {height:.0f} px high"
        return view

    def cancel(self, jobid: str, confirm: bool = True) -> Locator:
        """Click the job's Cancel; the dialog is returned after answering it."""
        self.queued(jobid).locator(".sfp-cancel").click()
        dialog = self.page.locator(".jp-Dialog")
        expect(dialog).to_contain_text(f"Cancel job {jobid}?")
        return dialog

    def notifications(self) -> list[dict[str, str]]:
        return list(self.page.evaluate("() => window.__sfpNotifications || []"))
