"""The harness itself: an inline anywidget renders in Lab and Notebook 7 and a click reaches
the kernel (DOM → model → kernel, checked in the page, in a cell and out of band)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .conftest import shot
from .notebook_ui import wait_kernel_value

pytestmark = pytest.mark.browser

COUNTER = '''\
import anywidget, traitlets

class Counter(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const btn = document.createElement("button");
      btn.className = "smoke-counter";
      const show = () => { btn.textContent = `count is ${model.get("count")}`; };
      btn.addEventListener("click", () => {
        model.set("count", model.get("count") + 1);
        model.save_changes();
      });
      model.on("change:count", show);
      show();
      el.appendChild(btn);
      return () => model.off("change:count", show);
    }
    export default { render };
    """
    count = traitlets.Int(0).tag(sync=True)

w = Counter()
w'''


def test_anywidget_click_round_trip(open_notebook, page, frontend):
    ui = open_notebook([COUNTER, "print('kernel count =', w.count)"])
    ui.run_all()
    button = ui.cell(0).locator("button.smoke-counter")
    expect(button).to_have_text("count is 0", timeout=30_000)
    ui.wait_cell_done(1)
    for _ in range(3):
        button.click()
    expect(button).to_have_text("count is 3")

    assert wait_kernel_value(ui, "w.count", r"^3$") == "3"  # out of band
    ui.run_cell(1)  # and as the user would check it
    ui.wait_output(1, "kernel count = 3")
    shot(page, f"{frontend}-smoke-counter", ui.cell(1))
