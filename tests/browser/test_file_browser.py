"""The file browser and ``%sfput`` in JupyterLab 4 and Notebook 7, against the facility.

What a user does and sees: ``%sfls`` opens the home; a double-click enters a directory (the
breadcrumbs follow); files uploaded from the kernel's working directory with the browser's
Upload button appear in the listing, and selecting them previews them (a PNG inline; a 4-D
``.npy`` as a slice with a colour bar and sliders); Download puts a file byte for byte in
the kernel's working directory; a link to a folder shows its target and opens the folder;
a directory of 10,000 files opens with only the visible rows drawn and scrolls to its last
file; ``%sfput`` fills its progress bar to the end.
Screenshots: ``test-artifacts/screenshots/<frontend>-file-browser-*.png`` and
``<frontend>-sfput-progress.png``.
"""

from __future__ import annotations

import io
import os
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Locator, expect

from ..support.owners import give_to_account
from .conftest import shot
from .notebook_ui import NotebookUI, wait_kernel_value
from .servers import FacilityServer, JupyterServer

pytestmark = pytest.mark.browser

LOAD = "%load_ext sfapi_jupyter"
WAIT = 45_000  # ms


def home_of(facility: FacilityServer) -> Path:
    return facility.state_dir / "fs" / "homes" / "elvis"


def png(width: int, height: int) -> bytes:
    """A small RGB PNG (a colour ramp), written by hand."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // width, y * 255 // height, 128 + 0 * x], -1).astype(np.uint8)
    raw = b"".join(b"\x00" + rgb[r].tobytes() for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    head = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", head)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def browser(ui: NotebookUI, cell: int) -> Locator:
    return ui.cell(cell).locator('[data-testid="file-browser"]')


def row(ui: NotebookUI, cell: int, name: str) -> Locator:
    return browser(ui, cell).locator(f'[data-testid="fb-row"][data-name="{name}"]')


def upload(ui: NotebookUI, cell: int, name: str) -> None:
    fb = browser(ui, cell)
    fb.locator('[data-testid="fb-upload-select"]').select_option(name)
    fb.locator('[data-testid="fb-upload"]').click()
    expect(fb.locator('[data-testid="fb-progress"]')).to_have_attribute(
        "data-state", "done", timeout=WAIT
    )
    expect(fb.locator('[data-testid="fb-progress-text"]')).to_contain_text(f"Uploaded {name}")
    expect(row(ui, cell, name)).to_be_visible(timeout=WAIT)


def test_browser_enters_a_directory_previews_uploads_and_downloads(
    open_notebook: Any, page: Any, frontend: str, facility: FacilityServer, jupyter: JupyterServer
) -> None:
    folder = home_of(facility) / f"beamtime-{frontend}"
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    result = os.urandom(50_000)
    (folder / "result.bin").write_bytes(result)
    (folder / "raw" / "frame_0001.txt").write_text("frame 1\n")
    if not (folder / "latest").is_symlink():
        (folder / "latest").symlink_to("raw")
    give_to_account("elvis", folder)  # as if elvis had made them (the test runs as root in CI)
    # The kernel's working directory is the notebook's: files to upload go there.
    local = jupyter.root_dir
    (local / f"detector-{frontend}.png").write_bytes(png(96, 64))
    scan = np.arange(3 * 5 * 24 * 32, dtype=np.float32).reshape(3, 5, 24, 32)
    buffer = io.BytesIO()
    np.save(buffer, scan)
    (local / f"scan-{frontend}.npy").write_bytes(buffer.getvalue())
    (local / "result.bin").unlink(missing_ok=True)

    ui = open_notebook([LOAD, "%sfls --out browser"])
    ui.run_all()
    fb = browser(ui, 1)
    expect(fb).to_be_visible(timeout=WAIT)
    expect(row(ui, 1, "examples")).to_be_visible(timeout=WAIT)

    # Enter a directory: double-click, the breadcrumbs follow; up comes back.
    row(ui, 1, folder.name).dblclick()
    expect(fb.locator('[data-testid="fb-crumb"][aria-current="location"]')).to_have_text(
        folder.name, timeout=WAIT
    )
    expect(row(ui, 1, "raw")).to_have_attribute("data-kind", "d")
    expect(row(ui, 1, "result.bin")).to_contain_text("48.8 KiB")
    assert "elvis:" in (row(ui, 1, "result.bin").get_attribute("title") or "")  # owner on hover
    shot(page, f"{frontend}-file-browser-directory", fb)

    # A symbolic link shows its target; double-clicking a link to a folder enters it.
    expect(row(ui, 1, "latest")).to_have_attribute("data-kind", "l")
    expect(row(ui, 1, "latest")).to_contain_text("latest → raw")
    row(ui, 1, "latest").dblclick()
    expect(fb.locator('[data-testid="fb-crumb"][aria-current="location"]')).to_have_text(
        "latest", timeout=WAIT
    )
    expect(row(ui, 1, "frame_0001.txt")).to_be_visible()
    fb.locator('[data-testid="fb-up"]').click()
    expect(row(ui, 1, "result.bin")).to_be_visible(timeout=WAIT)

    # Upload a PNG from the kernel's directory, select it: it is previewed inline.
    upload(ui, 1, f"detector-{frontend}.png")
    row(ui, 1, f"detector-{frontend}.png").click()
    image = fb.locator('[data-testid="fb-preview-image"]')
    expect(image).to_be_visible(timeout=WAIT)
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 96", arg=image.element_handle()
    )
    shot(page, f"{frontend}-file-browser-png", fb)

    # Upload a 4-D .npy: a slice with a colour bar, two sliders; moving one redraws.
    upload(ui, 1, f"scan-{frontend}.npy")
    row(ui, 1, f"scan-{frontend}.npy").click()
    array = fb.locator('[data-testid="fb-preview-array"]')
    expect(array).to_be_visible(timeout=WAIT)
    expect(fb.locator('[data-testid="fb-array-info"]')).to_have_text(
        "float32 · shape (3, 5, 24, 32)"
    )
    expect(fb.locator('[data-testid="fb-colorbar"]')).to_be_visible()
    expect(fb.locator('[data-testid="fb-vmin"]')).to_have_text("0")
    sliders = fb.locator('[data-testid="fb-slider"]')
    expect(sliders).to_have_count(2)
    sliders.nth(1).evaluate("el => { el.value = '4'; el.dispatchEvent(new Event('input')); }")
    expect(fb.locator('[data-testid="fb-vmin"]')).to_have_text(str(4 * 24 * 32), timeout=WAIT)
    expect(fb.locator('[data-testid="fb-slider"]').nth(1)).to_have_value("4")
    shot(page, f"{frontend}-file-browser-npy", fb)

    # Download: the bytes in the kernel's working directory are the remote file's.
    row(ui, 1, "result.bin").click()
    fb.locator('[data-testid="fb-download"]').click()
    expect(fb.locator('[data-testid="fb-progress"]')).to_have_attribute(
        "data-state", "done", timeout=WAIT
    )
    expect(fb.locator('[data-testid="fb-progress-text"]')).to_contain_text("Downloaded result.bin")
    assert (local / "result.bin").read_bytes() == result
    assert wait_kernel_value(ui, "browser.selected", "result.bin") == repr(
        [str(folder / "result.bin")]
    )

    # Filter and sort as a file browser does.
    fb.locator('[data-testid="fb-filter"]').fill("scan")
    expect(fb.locator('[data-testid="fb-row"]')).to_have_count(1)
    expect(fb.locator('[data-testid="fb-count"]')).to_have_text("1 of 5 items")
    fb.locator('[data-testid="fb-filter"]').fill("")
    by_size = fb.locator('[data-testid="fb-sort-size"]')
    by_size.click()  # largest first; folders stay on top
    expect(by_size).to_have_attribute("aria-sort", "descending")
    expect(by_size).to_have_text("Size ▼")
    # The rows are redrawn on the next animation frame (the list paints once per frame), so
    # wait for the order a user sees rather than reading the rows the moment the click returns.
    expect(fb.locator('[data-testid="fb-row"] .sfj-fb__name')).to_have_text(
        ["raw", "result.bin", f"scan-{frontend}.npy", f"detector-{frontend}.png", "latest → raw"],
        timeout=WAIT,
    )
    fb.locator('[data-testid="fb-up"]').click()
    expect(row(ui, 1, "examples")).to_be_visible(timeout=WAIT)


def test_ten_thousand_files_open_and_scroll_to_the_end(
    open_notebook: Any, page: Any, frontend: str, facility: FacilityServer
) -> None:
    folder = home_of(facility) / f"frames-{frontend}"
    if not folder.exists():
        folder.mkdir()
        for i in range(10_000):
            (folder / f"frame_{i:05d}.tif").write_bytes(b"\0" * (i % 97))
    ui = open_notebook([LOAD, f"%sfls ~/{folder.name}"])
    ui.run_all()
    fb = browser(ui, 1)
    expect(fb.locator('[data-testid="fb-count"]')).to_have_text("10,000 items", timeout=WAIT)
    expect(row(ui, 1, "frame_00000.tif")).to_be_visible()
    drawn = fb.locator('[data-testid="fb-row"]').count()
    assert 10 < drawn < 100, f"{drawn} rows in the DOM: only the visible ones should be"

    scroller = fb.locator('[data-testid="fb-rows"]')
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    expect(row(ui, 1, "frame_05000.tif")).to_be_visible(timeout=WAIT)
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    last = row(ui, 1, "frame_09999.tif")
    expect(last).to_be_visible(timeout=WAIT)
    assert fb.locator('[data-testid="fb-row"]').count() < 100
    shot(page, f"{frontend}-file-browser-10000", fb)
    last.click()
    scroller.press("Home")
    expect(row(ui, 1, "frame_00000.tif")).to_be_visible(timeout=WAIT)
    expect(row(ui, 1, "frame_00000.tif")).to_have_attribute("aria-selected", "true")


def test_sfput_shows_progress_to_the_end(
    open_notebook: Any, page: Any, frontend: str, facility: FacilityServer, jupyter: JupyterServer
) -> None:
    data = os.urandom(12 * 1024 * 1024)
    name = f"upload-{frontend}.bin"
    (jupyter.root_dir / name).write_bytes(data)
    remote = home_of(facility) / name
    remote.unlink(missing_ok=True)
    ui = open_notebook([LOAD, f"%sfput {name} ~/{name}"])
    ui.run_all()
    bar = ui.cell(1).locator('[data-testid="sf-progress"]')
    expect(bar).to_have_attribute("data-state", "done", timeout=WAIT)
    text = ui.cell(1).locator('[data-testid="sf-progress-text"]')
    expect(text).to_have_text(re.compile(rf"^Uploaded {name} → perlmutter:~/{name} \(12\.0 MiB\)$"))
    progress = bar.locator("progress")
    assert progress.get_attribute("value") == progress.get_attribute("max") == str(len(data))
    ui.assert_no_errors(1)
    shot(page, f"{frontend}-sfput-progress", ui.cell(1))
    assert remote.read_bytes() == data
