"""``H5Viewer`` as a state holder, and the pictures and detectors its controller makes."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import pytest

from sfapi_jupyter.client import AnnularDarkField, BrightField
from sfapi_jupyter.client.h5 import H5Image
from sfapi_jupyter.notebook.h5_viewer import detector_of, first_detector, to_png
from sfapi_jupyter.widgets import H5Viewer
from sfapi_jupyter.widgets.h5_viewer import find_node, tree_lines

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TREE = {
    "path": "/",
    "kind": "group",
    "attrs": {"instrument": "TEAM 0.5"},
    "children": [
        {
            "path": "/data",
            "kind": "dataset",
            "shape": [128, 128, 256, 256],
            "dtype": "uint16",
            "compression": "gzip",
            "attrs": {},
        },
        {
            "path": "/meta",
            "kind": "group",
            "attrs": {},
            "children": [
                {
                    "path": "/meta/stack",
                    "kind": "dataset",
                    "shape": [5, 40, 60],
                    "dtype": "float32",
                    "attrs": {},
                }
            ],
        },
        {"path": "/raw", "kind": "link", "target": "/data", "attrs": {}},
    ],
}


def record(widget: Any) -> list[tuple[dict[str, Any], Any]]:
    sent: list[tuple[dict[str, Any], Any]] = []
    widget.send = lambda content, buffers=None: sent.append((content, buffers))
    return sent


def test_the_tree_lists_datasets_and_finds_nodes() -> None:
    viewer = H5Viewer(machine="perlmutter", path="/scratch/scan.h5")
    viewer.show_tree(TREE)
    assert viewer.datasets == ["/data", "/meta/stack"]
    assert find_node(TREE, "/meta/stack")["shape"] == [5, 40, 60]  # type: ignore[index]
    assert find_node(TREE, "/nope") is None
    assert tree_lines(TREE) == [
        "/",
        "  data  128x128x256x256 uint16 gzip",
        "  meta/",
        "    stack  5x40x60 float32",
        "  raw → /data",
    ]


def test_images_travel_as_png_buffers_and_a_new_view_gets_them_again() -> None:
    viewer = H5Viewer(machine="perlmutter", path="/scratch/scan.h5")
    sent = record(viewer)
    viewer.show_dataset("/data", "4d")
    viewer.show_image("pattern", {"dataset": "/data", "shape": [256, 256]}, PNG_MAGIC + b"p")
    viewer.show_image("virtual", {"dataset": "/data", "shape": [128, 128]}, PNG_MAGIC + b"v")
    assert [m["type"] for m, _ in sent] == ["clear", "image", "image"]
    assert sent[2] == (
        {"type": "image", "role": "virtual", "dataset": "/data", "shape": [128, 128]},
        [PNG_MAGIC + b"v"],
    )
    sent.clear()
    viewer._dispatch(None, {"type": "snapshot?"})
    assert [(m.get("role"), b) for m, b in sent] == [
        (None, None),
        ("pattern", [PNG_MAGIC + b"p"]),
        ("virtual", [PNG_MAGIC + b"v"]),
    ]
    with pytest.raises(ValueError, match="role must be one of"):
        viewer.show_image("histogram", {}, b"")
    # Another dataset drops the images of the one before.
    viewer.show_dataset("/meta/stack", "slice", [0, None, None])
    assert viewer.image("virtual") is None and viewer.index == [0, None, None]


def test_the_views_actions_reach_the_callbacks_and_busy_roles_are_kept() -> None:
    viewer = H5Viewer(machine="perlmutter", path="/scratch/scan.h5")
    got: list[dict[str, Any]] = []
    remove = viewer.on("detector", got.append)
    message = {
        "type": "detector",
        "detector": {"kind": "bf", "row": 1, "col": 2, "radius": 3},
        "final": False,
    }
    viewer._dispatch(None, message)
    assert got == [message]
    remove()
    viewer._dispatch(None, message)
    assert len(got) == 1
    with pytest.raises(ValueError, match="its actions: select, slice, detector"):
        viewer.on("zoom", print)
    viewer.set_busy("virtual", True)
    viewer.set_busy("pattern", True)
    viewer.set_busy("virtual", False)
    assert viewer.busy == ["pattern"]


def test_the_saved_notebook_shows_the_tree_the_last_image_and_the_message() -> None:
    viewer = H5Viewer(machine="perlmutter", path="/scratch/scan.h5")
    assert "(tree not read yet)" in viewer.summary_html()
    viewer.show_tree(TREE)
    viewer.show_dataset("/data", "4d")
    viewer.show_image("pattern", {"dataset": "/data"}, PNG_MAGIC + b"p")
    viewer.show_image("virtual", {"dataset": "/data"}, PNG_MAGIC + b"v")
    viewer.set_message("/data: the detector's centre (300, 10) is outside the pattern", "error")
    html = viewer.summary_html()
    assert "data  128x128x256x256 uint16 gzip" in html
    assert "virtual of /data" in html
    assert base64.b64encode(PNG_MAGIC + b"v").decode() in html  # the last image: the virtual one
    assert "is outside the pattern" in html
    assert (
        viewer.summary_text() == "H5Viewer perlmutter:/scratch/scan.h5 (2 datasets, showing /data)"
    )


def test_to_png_draws_with_viridis_and_keeps_the_value_range() -> None:
    data = np.arange(12, dtype=np.uint16).reshape(3, 4)
    info, png = to_png(data)
    assert png.startswith(PNG_MAGIC)
    assert (info["vmin"], info["vmax"], info["pixels_shape"]) == (0.0, 11.0, [3, 4])
    # Not finite values are grey, a 1-D result a strip, complex values their magnitude.
    info, _ = to_png(np.array([[np.nan, 1.0], [2.0, np.inf]]))
    assert (info["vmin"], info["vmax"]) == (1.0, 2.0)
    assert to_png(np.arange(5.0))[0]["pixels_shape"] == [1, 5]
    assert to_png(np.array([[3 + 4j]]), log=True)[0]["vmax"] == 5.0


def test_a_detector_from_the_view_and_the_first_detector_on_the_pattern() -> None:
    assert detector_of({"kind": "bf", "row": 10, "col": 12.5, "radius": 4}) == BrightField(
        10, 12.5, 4
    )
    assert detector_of({"kind": "adf", "row": 1, "col": 2, "inner": 3, "outer": 9}) == (
        AnnularDarkField(1, 2, 3, 9)
    )
    with pytest.raises(ValueError, match="'bf' \\(disc\\) or 'adf' \\(ring\\), not 'box'"):
        detector_of({"kind": "box", "row": 1, "col": 2})
    with pytest.raises(ValueError, match="needs row, col and its radii"):
        detector_of({"kind": "bf", "row": 1})
    with pytest.raises(ValueError, match="inner"):
        detector_of({"kind": "adf", "row": 1, "col": 2, "inner": 9, "outer": 3})
    # A disc of radius 8 at (40, 24) on a pattern binned by 2: found in full-pattern pixels.
    rr, cc = np.indices((64, 64))
    pattern = np.where(np.hypot(rr - 20, cc - 12) <= 4, 900.0, 1.0)
    image = H5Image(
        data=pattern, dataset="/data", kind="mean_diffraction", shape=(128, 128), binned=2
    )
    found = first_detector(image)
    assert found["kind"] == "bf"
    assert (found["row"], found["col"]) == (40.5, 24.5)  # the middle of binned pixel (20, 12)
    assert 7 <= found["radius"] <= 9
    assert all(type(v) in (str, float) for v in found.values())  # JSON, not numpy scalars


def test_the_status_line_names_a_questions_job_until_it_answers() -> None:
    viewer = H5Viewer(machine="perlmutter", path="/scratch/scan.h5")
    job = {"role": "virtual", "jobid": "4242", "state": "PENDING", "reason": "Priority"}
    viewer.show_job({**job, "terminal": False})
    assert viewer.message == "Virtual image: job 4242 on perlmutter PENDING (Priority)"
    assert viewer.message_level == "info" and viewer.job["jobid"] == "4242"
    viewer.show_job({**job, "state": "RUNNING", "reason": "None", "terminal": False})
    assert viewer.message == "Virtual image: job 4242 on perlmutter RUNNING"
    viewer.show_job({**job, "state": "COMPLETED", "reason": "", "terminal": True})
    assert viewer.message == "" and viewer.job["state"] == "COMPLETED"
    # An error shown meanwhile (the job's failure, say) is not wiped by its end.
    viewer.set_message("job 4243 on perlmutter (sfapi-h5) reached its time limit", "error")
    viewer.show_job({"role": "tree", "jobid": "4243", "state": "TIMEOUT", "terminal": True})
    assert viewer.message_level == "error" and "time limit" in viewer.message
