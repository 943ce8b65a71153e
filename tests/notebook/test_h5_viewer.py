"""``%sfh5`` / ``h5_view`` and the file browser's HDF5 preview, against a local facility.

The file lives in elvis's home; every picture is computed there by the remote program
(``machine.h5``), in a Python with h5py that elvis's account can run, made the remote kernel
environment (``~/.venvs/sfapi-jupyter``) as ``install-kernel --remote`` would. The numbers
behind each picture (``controller_of(viewer).images``) are checked against h5py here.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from sfapi_jupyter.client.h5 import KERNEL_VENV
from sfapi_jupyter.notebook import h5_viewer as h5_module
from sfapi_jupyter.notebook.controllers import controller_of
from sfapi_jupyter.notebook.file_browser import file_browser
from sfapi_jupyter.notebook.h5_viewer import H5Session, h5_view
from sfapi_jupyter.widgets import H5Viewer
from sfapi_jupyter.widgets.h5_viewer import find_node

from ..support.figures import record, record_bad_input
from ..support.h5files import write_4d
from ..support.reachable import reachable_python
from .conftest import wait_for

SHAPE, CHUNKS = (16, 16, 64, 64), (4, 4, 64, 64)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def home(facility) -> Iterator[Path]:
    """elvis's home, with a remote kernel environment that has h5py and a 4-D file."""
    home = Path(facility.config.home_of("elvis"))
    with reachable_python(also=("h5py",)) as python:
        venv = home / KERNEL_VENV.removeprefix("~/")
        venv.parent.mkdir(parents=True, exist_ok=True)
        venv.symlink_to(Path(python).parent.parent)
        os.chmod(venv.parent, 0o755)
        write_4d(home / "scan.h5", SHAPE, CHUNKS).chmod(0o644)
        (home / "notes.h5").write_text("not HDF5 at all\n")
        (home / "notes.h5").chmod(0o644)
        yield home


def session_of(viewer: H5Viewer) -> H5Session:
    session = controller_of(viewer)
    assert isinstance(session, H5Session)
    return session


def landed(viewer: H5Viewer, role: str, check: Any = lambda image: True) -> Any:
    """Wait until the viewer shows an image of ``role`` that passes ``check``; its H5Image."""
    session = session_of(viewer)

    def done() -> bool:
        image = session.images.get(role)
        return image is not None and role not in viewer.busy and bool(check(image))

    wait_for(done, what=f"the {role} image ({viewer.message})")
    return session.images[role]


def local_virtual(path: Path, centre: tuple[float, float], inner: float, outer: float) -> Any:
    with h5py.File(path, "r") as f:
        data = f["data"][()].astype(np.int64)
    rr, cc = np.indices(data.shape[2:])
    distance = np.hypot(rr - centre[0], cc - centre[1])
    return data[:, :, (distance >= inner) & (distance <= outer)].sum(axis=-1)


def send(viewer: H5Viewer, message: dict[str, Any]) -> None:
    viewer._dispatch(None, message)  # as the view sends it


def test_sfh5_shows_the_tree_the_pattern_and_a_virtual_image_equal_to_h5py(ip, client, home):
    viewer = ip.run_line_magic("sfh5", "~/scan.h5")
    assert isinstance(viewer, H5Viewer)
    virtual = landed(viewer, "virtual")
    assert viewer.datasets == ["/data", "/meta/dark", "/meta/label", "/meta/stack"]
    assert (find_node(viewer.tree, "/data") or {})["chunks"] == list(CHUNKS)
    assert (viewer.dataset, viewer.mode) == ("/data", "4d")  # the 4-D dataset opens itself
    # The first detector: a disc on the bright disc the file was written with (row 32, col 30
    # on its 64x64 detector, radius 3).
    detector = viewer.detector
    assert detector["kind"] == "bf" and abs(detector["row"] - 32) <= 1
    assert abs(detector["col"] - 30) <= 1 and 2 <= detector["radius"] <= 5
    pattern = session_of(viewer).images["pattern"]
    with h5py.File(home / "scan.h5", "r") as f:
        mean = f["data"][()].astype(np.float64).mean(axis=(0, 1))
    np.testing.assert_allclose(pattern.data, mean, rtol=1e-5)
    expected = local_virtual(
        home / "scan.h5", (detector["row"], detector["col"]), 0, detector["radius"]
    )
    np.testing.assert_array_equal(virtual.data, expected)
    info, png = viewer.image("virtual") or ({}, b"")
    assert png.startswith(PNG_MAGIC) and info["shape"] == [16, 16] and info["scan_step"] == 1
    assert "virtual of /data" in viewer.summary_html()


def test_a_dragged_detector_gives_a_quick_look_then_the_full_image(ip, client, home, monkeypatch):
    monkeypatch.setattr(h5_module, "QUICK_FROM", 8)  # the 16x16 scan counts as large here
    viewer = h5_view("scan.h5")
    landed(viewer, "virtual")
    ring = {"kind": "adf", "row": 32, "col": 30, "inner": 6, "outer": 12}
    send(viewer, {"type": "detector", "detector": ring, "final": False})
    quick = landed(viewer, "virtual", lambda image: image.scan_step == 4)
    full = local_virtual(home / "scan.h5", (32, 30), 6, 12)
    np.testing.assert_array_equal(quick.data, full[::4, ::4])
    assert "every 4th" not in viewer.summary_html()  # said by the view, from scan_step
    assert viewer.image("virtual")[0]["scan_step"] == 4  # type: ignore[index]
    send(viewer, {"type": "detector", "detector": ring, "final": True})
    image = landed(viewer, "virtual", lambda image: image.scan_step == 1)
    np.testing.assert_array_equal(image.data, full)
    assert viewer.detector == ring


def test_a_slice_with_sliders_and_the_last_position_wins(ip, client, home):
    viewer = h5_view("scan.h5")
    landed(viewer, "virtual")
    send(viewer, {"type": "select", "dataset": "/meta/stack"})
    assert (viewer.mode, viewer.index) == ("slice", [0, None, None])
    landed(viewer, "slice")
    for at in (1, 2, 4):  # quicker than the machine answers: only the last one is shown
        send(viewer, {"type": "slice", "index": [at, None, None]})
    image = landed(viewer, "slice", lambda image: image.index == (4, None, None))
    with h5py.File(home / "scan.h5", "r") as f:
        np.testing.assert_array_equal(image.data, f["meta/stack"][4])
    assert viewer.image("slice")[0]["index"] == [4, None, None]  # type: ignore[index]
    assert viewer.index == [4, None, None] and viewer.message == ""
    # tree, pattern, virtual image, first slice, and of the three positions only the last:
    # the older questions were cancelled before their answer was read.
    assert session_of(viewer).h5.commands == 5


def error_of(viewer: H5Viewer) -> str:
    wait_for(lambda: viewer.message_level == "error" and not viewer.busy, what="an error")
    return viewer.message


def test_bad_inputs_show_the_engines_message_on_the_widget(ip, client, home):
    viewer = h5_view("notes.h5")
    message = error_of(viewer)
    assert "notes.h5 is not an HDF5 file" in message
    record_bad_input("widget", "h5_view('notes.h5') (a text file)", message)

    viewer = h5_view("scan.h5")
    landed(viewer, "virtual")
    send(viewer, {"type": "select", "dataset": "/dat"})
    message = error_of(viewer)
    assert "its datasets: /data," in message
    record_bad_input("widget", "H5Viewer: a dataset path that does not exist (/dat)", message)

    outside = {"kind": "bf", "row": 200, "col": 10, "radius": 5}
    viewer = h5_view("scan.h5")
    landed(viewer, "virtual")
    send(viewer, {"type": "detector", "detector": outside, "final": True})
    message = error_of(viewer)
    assert "within rows 0..63" in message
    record_bad_input("widget", "H5Viewer: a detector centred outside the pattern", message)
    # Fixed by the next good detector: the message goes.
    send(viewer, {"type": "detector", "detector": {**outside, "row": 30}, "final": True})
    wait_for(lambda: viewer.message == "" and not viewer.busy, what="the message to go")


def test_the_file_browser_previews_an_hdf5_file_by_its_tree(ip, client, home):
    browser = file_browser("~/scan.h5")
    wait_for(
        lambda: browser._preview is not None and browser._preview[0]["kind"] != "loading",
        what="the preview",
    )
    assert browser._preview is not None
    preview = browser._preview[0]
    assert preview["kind"] == "text", preview
    text = "\n".join(preview["head"])
    assert "h5_view('" in text and "/scan.h5', 'perlmutter') shows its datasets" in text
    assert "data  uint16 16x16x64x64" in text and "chunks 4x4x64x64" in text
    assert "@units = 'counts'" in text


def test_the_viewer_of_a_2_gib_dataset_costs_kilobytes(ip, client, home, monkeypatch):
    """The 128x128x256x256 uint16 file (2 GiB logical): what opening the viewer and one drag
    of the detector cost in command output, and the PNG bytes sent to the browser."""
    write_4d(home / "big.h5").chmod(0o644)
    viewer = h5_view("big.h5")
    first = landed(viewer, "virtual")
    session = session_of(viewer)
    opened = session.h5.response_chars
    assert first.shape == (128, 128) and session.h5.commands == 3
    ring = {"kind": "adf", "row": 128, "col": 120, "inner": 30, "outer": 34}
    send(viewer, {"type": "detector", "detector": ring, "final": False})
    quick = landed(viewer, "virtual", lambda image: image.scan_step == 4)
    send(viewer, {"type": "detector", "detector": ring, "final": True})
    full = landed(viewer, "virtual", lambda image: image.scan_step == 1 and image is not first)
    np.testing.assert_array_equal(quick.data, full.data[::4, ::4])
    pngs = sum(len((viewer.image(role) or ({}, b""))[1]) for role in ("pattern", "virtual"))
    assert opened < 200_000 and session.h5.response_chars < 200_000
    record("h5-viewer", "2 GiB file: tree, mean pattern, first virtual image (output)", opened, "B")
    record(
        "h5-viewer",
        "2 GiB file: after a drag, quick look and full (output)",
        session.h5.response_chars,
        "B",
    )
    record("h5-viewer", "2 GiB file: virtual image, quick look (scan_step 4)", quick.seconds, "s")
    record("h5-viewer", "2 GiB file: virtual image, full", full.seconds, "s")
    record("h5-viewer", "2 GiB file: PNGs of the pattern and virtual image", pngs, "B")
