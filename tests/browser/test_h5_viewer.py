"""``%sfh5`` in JupyterLab 4 and Notebook 7, against the facility: an HDF5 file's tree, its
mean diffraction pattern with a bright-field disc, and a virtual image that changes when the
disc is dragged.

The file is in elvis's home; every picture is computed there (the remote program runs as
elvis, in a Python with h5py made his remote kernel environment, as ``install-kernel --remote``
would). Screenshots: ``test-artifacts/screenshots/{lab,nb7}-h5-viewer.png`` (the docs page
shows Lab's).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from sfapi_jupyter.client.h5 import KERNEL_VENV

from ..support.h5files import write_4d
from ..support.owners import give_to_account
from ..support.reachable import reachable_python
from .conftest import shot
from .servers import FacilityServer

pytestmark = pytest.mark.browser

WAIT = 60_000  # ms
X = "\N{MULTIPLICATION SIGN}"  # as the view writes shapes


@pytest.fixture(scope="module")
def scan_file(facility: FacilityServer) -> Iterator[Path]:
    home = facility.state_dir / "fs" / "homes" / "elvis"
    with reachable_python(also=("h5py",)) as python:
        venv = home / KERNEL_VENV.removeprefix("~/")
        venv.parent.mkdir(parents=True, exist_ok=True)
        if not venv.is_symlink():
            venv.symlink_to(Path(python).parent.parent)
        os.chmod(venv.parent, 0o755)
        path = write_4d(home / "scan_0042.h5", (32, 32, 64, 64), (4, 4, 64, 64))
        path.chmod(0o644)
        give_to_account("elvis", venv.parent, path)
        yield path


def test_the_tree_and_a_virtual_image_that_follows_the_dragged_detector(
    open_notebook: Any, page: Any, frontend: str, scan_file: Path
) -> None:
    ui = open_notebook(["%load_ext sfapi_jupyter", f"%sfh5 ~/{scan_file.name}"])
    ui.run_all()
    viewer = ui.cell(1).locator('[data-testid="h5-viewer"]')
    expect(viewer).to_be_visible(timeout=WAIT)
    tree = viewer.locator('[data-testid="h5-tree"]')
    facts = f"32 {X} 32 {X} 64 {X} 64 · uint16 · chunks 4{X}4{X}64{X}64"
    expect(tree).to_contain_text(facts, timeout=WAIT)
    expect(tree).to_contain_text("@instrument = TEAM 0.5")
    expect(viewer.locator('[data-testid="h5-dataset"][data-path="/data"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    caption = viewer.locator('[data-testid="h5-virtual-caption"]')
    expect(caption).to_contain_text(f"32 {X} 32", timeout=WAIT)
    expect(viewer.locator('[data-testid="h5-virtual-busy"]')).to_be_hidden(timeout=WAIT)
    text = viewer.locator('[data-testid="h5-detector-text"]')
    expect(text).to_contain_text("bright field: disc at (3")
    before = caption.inner_text()
    src_before = viewer.locator('[data-testid="h5-virtual"]').get_attribute("src")

    # Drag the disc 2 rows down and 3 columns right: partly off the bright disc.
    overlay = viewer.locator('[data-testid="h5-detector"]')
    box = overlay.bounding_box()
    assert box is not None
    # The middle of pixel (32, 30), where the disc is.
    start_x = box["x"] + box["width"] * 30.5 / 64
    start_y = box["y"] + box["height"] * 32.5 / 64
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + box["width"] * 3 / 64, start_y + box["height"] * 2 / 64, steps=8)
    page.mouse.up()
    expect(text).not_to_contain_text("disc at (32", timeout=WAIT)
    expect(caption).not_to_have_text(before, timeout=WAIT)
    expect(viewer.locator('[data-testid="h5-virtual-busy"]')).to_be_hidden(timeout=WAIT)
    assert viewer.locator('[data-testid="h5-virtual"]').get_attribute("src") != src_before
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 32",
        arg=viewer.locator('[data-testid="h5-virtual"]').element_handle(),
    )
    shot(page, f"{frontend}-h5-viewer", viewer)
