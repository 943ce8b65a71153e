"""Live frames (``%%sfjob --watch``) in JupyterLab 4 and Notebook 7: a job writes three
``.npy`` frames, each held back by a gate until the card has shown the one before, so the
test sees them appear one by one, in order, while the job runs; then the slider goes back to
the first. Screenshot: ``test-artifacts/screenshots/<frontend>-frames.png``.
"""

from __future__ import annotations

import base64
import io

import numpy as np
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


def frame_npy(k: int) -> str:
    """A 32 x 32 picture (rings that tighten with k) as base64 .npy bytes."""
    y, x = np.mgrid[-1:1:32j, -1:1:32j]
    out = io.BytesIO()
    np.save(out, np.cos(k * 6 * np.hypot(x, y)).astype(np.float32))
    return base64.b64encode(out.getvalue()).decode()


def test_frames_appear_one_by_one_while_the_job_runs(open_notebook, page, frontend, gate):
    holds = [gate() for _ in range(3)]
    # a directory of its own per front end: frames an earlier run left would match at once
    where = f"live-frames-{frontend}"  # (test_file_browser makes frames-{frontend}, as root)
    body = f"mkdir -p {where}\n"
    for k, hold in enumerate(holds, start=1):
        tmp = f"{where}/.tmp"
        body += f"echo {frame_npy(k)} | base64 -d > {tmp} && mv {tmp} {where}/iter_{k}.npy\n"
        body += hold.wait
    ui = open_notebook([LOAD, sfjob(f"--watch '{where}/iter_*.npy'", body, "#SBATCH -J frames\n")])
    ui.run_all()
    frames = card(ui, 1).locator('[data-testid="frames"]')
    image = frames.locator('[data-testid="frame-image"]')
    caption = frames.locator('[data-testid="frame-caption"]')
    expect(frames.locator('[data-testid="frames-pattern"]')).to_contain_text(f"{where}/iter_*.npy")
    for k, hold in enumerate(holds, start=1):
        expect(image).to_have_attribute("data-index", str(k), timeout=STATE_TIMEOUT)
        # then the value range the colours span (an .npy frame): "· -0.998 … 1"
        expect(caption).to_contain_text(
            f"frame {k}: iter_{k}.npy · iteration {k} · ", timeout=5_000
        )
        expect(card(ui, 1).locator('[data-testid="job-state"]').first).to_have_text("RUNNING")
        ui.lap(f"frame {k} shown while RUNNING")
        if k == 3:
            shot(page, f"{frontend}-frames", card(ui, 1))
        hold.release()
    wait_state(ui, 1, "COMPLETED")
    expect(frames.locator('[data-testid="frames-count"]')).to_have_text("3 frames")
    # a real PNG, drawn by the browser (the view may be drawn afresh at the end, with the saved
    # frame first and then the kernel's: each image loads in its own time)
    expect(image).to_have_js_property("naturalWidth", 32)
    slider = frames.locator('[data-testid="frame-slider"]')
    slider.evaluate("s => { s.value = '0'; s.dispatchEvent(new Event('input')); }")
    expect(caption).to_contain_text("frame 1: iter_1.npy · iteration 1 · ")
    expect(frames.locator('[data-testid="frame-position"]')).to_have_text("1 / 3")
