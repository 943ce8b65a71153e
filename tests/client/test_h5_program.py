"""The remote HDF5 program and its command, run here (no facility): the same shell command
``machine.h5`` sends, run by bash in a temporary directory, with this venv's Python (which
has h5py) as the machine's. The facility tests (``test_h5.py``) run it there."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from sfapi_jupyter.client import AnnularDarkField, BrightField, H5Error
from sfapi_jupyter.client.h5 import BLOCK_BYTES, KERNEL_VENV, MAX_PIXELS, H5Node
from sfapi_jupyter.client.h5._command import command, parse_answer
from sfapi_jupyter.client.h5._file import index_request

from ..support.h5files import write_4d, write_bitshuffle

REMOTE = Path(importlib.import_module("sfapi_jupyter.client.h5._remote").__file__ or "")


def ask(cwd: Path, request: dict[str, Any], pythons: tuple[str, ...] = (sys.executable,)):
    full = {"max_pixels": MAX_PIXELS, "block_bytes": BLOCK_BYTES, **request}
    done = subprocess.run(
        ["bash", "-c", command(full, pythons)], cwd=cwd, capture_output=True, text=True
    )
    return parse_answer("here", None, done.stdout, done.stderr, done.returncode)


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    return write_4d(tmp_path_factory.mktemp("h5") / "small.h5", (10, 9, 64, 64), (4, 3, 64, 64))


def test_the_default_environment_is_the_one_install_kernel_remote_makes():
    from sfapi_jupyter.cli.kernel_remote import DEFAULT_VENV

    assert KERNEL_VENV == DEFAULT_VENV


def test_the_program_keeps_to_python_3_8():
    ast.parse(REMOTE.read_text(), feature_version=(3, 8))
    assert "import sfapi_jupyter" not in REMOTE.read_text()  # it runs alone, there


def test_blocks_are_whole_chunks_within_the_bound(small):
    remote = importlib.import_module("sfapi_jupyter.client.h5._remote")
    remote.np, remote.h5py = np, h5py
    with h5py.File(small, "r") as f:
        ds = f["data"]
        frame = 64 * 64 * 2
        for bound in (frame, 12 * frame, 27 * frame, 90 * frame, 10**9):
            blocks = remote.scan_blocks(ds, frame, {"block_bytes": bound})
            covered = np.zeros((10, 9), int)
            for rows, cols in blocks:
                covered[rows, cols] += 1
                positions = (rows.stop - rows.start) * (cols.stop - cols.start)
                assert positions * frame <= max(bound, 12 * frame)  # one chunk at least
                if bound >= 12 * frame:  # a chunk fits: blocks start on chunk edges
                    assert rows.start % 4 == 0 and cols.start % 3 == 0
            assert (covered == 1).all()  # every position once
        assert len(remote.scan_blocks(ds, frame, {"block_bytes": 10**9})) == 1


def test_small_blocks_give_the_same_answers(small, tmp_path):
    detector = BrightField(32, 30, 5).request()
    request = {"op": "virtual", "path": str(small), "dataset": "data", "detector": detector}
    whole, image = ask(tmp_path, request)
    # Only the detector's 11x11 box of each pattern is read (int64 sums: 968 bytes); a bound
    # of one chunk's worth (4x3 positions) makes 3x3 blocks of whole chunks.
    pieces, same = ask(tmp_path, {**request, "block_bytes": 12 * 11 * 11 * 8})
    assert (whole["blocks"], pieces["blocks"]) == (1, 9)
    assert np.array_equal(image, same) and image.dtype.kind == "u"
    _, mean = ask(tmp_path, {"op": "mean", "path": str(small), "dataset": "data"})
    _, mean_pieces = ask(
        tmp_path, {"op": "mean", "path": str(small), "dataset": "data", "block_bytes": 20000}
    )
    np.testing.assert_array_equal(mean, mean_pieces)


def test_large_results_are_binned_there(small, tmp_path):
    header, image = ask(
        tmp_path, {"op": "mean", "path": str(small), "dataset": "data", "max_pixels": 300}
    )
    assert (header["binned"], header["shape"], image.shape) == (4, [64, 64], (16, 16))
    with h5py.File(small, "r") as f:
        full = f["data"][()].astype(np.float64).mean(axis=(0, 1))
    np.testing.assert_allclose(image, full.reshape(16, 4, 16, 4).mean(axis=(1, 3)), rtol=1e-6)


def test_indexes_as_numpy_reads_them(small, tmp_path):
    with h5py.File(small, "r") as f:
        ds = f["data"][()]
    for key, expected in [
        ([2, 3], ds[2, 3]),
        ([2, "...", 7], ds[2, :, :, 7]),
        ([None, 4, 10, None], ds[:, 4, 10, :]),
        ([-1, -1], ds[-1, -1]),
    ]:
        _, image = ask(
            tmp_path, {"op": "slice", "path": str(small), "dataset": "data", "index": key}
        )
        assert np.array_equal(image, expected), key
    assert index_request((1, slice(None), ..., np.int64(3))) == [1, None, "...", 3]
    for bad in [(slice(1, 4),), ("a",), (..., ...), (1.5,)]:
        with pytest.raises(H5Error, match="index") as caught:
            index_request(bad)
        assert caught.value.reason == "bad_index"


def test_detectors_are_checked_before_any_request():
    with pytest.raises(ValueError, match="above 0"):
        BrightField(10, 10, 0)
    with pytest.raises(ValueError, match="inner < outer"):
        AnnularDarkField(10, 10, 20, 5)
    with pytest.raises(ValueError, match="finite"):
        BrightField(float("nan"), 1, 2)


def test_the_pythons_tried_and_why_they_failed(tmp_path):
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'SFH5-NOH5PY:fake: No module named h5py'\nexit 97\n")
    fake.chmod(0o755)
    with pytest.raises(H5Error) as caught:
        ask(tmp_path, {"op": "tree", "path": "x.h5"}, (str(fake), "no-such-python", "~/nope"))
    message = str(caught.value)
    assert caught.value.reason == "no_python"
    assert f"{fake}: no h5py (No module named h5py); no-such-python: not on PATH" in message
    assert "nope: not found" in message and "install-kernel --remote here" in message


def test_a_python_under_home_is_found_as_written_with_tilde_or_dollar_home(tmp_path, monkeypatch):
    fake = tmp_path / "env" / "bin" / "python"
    fake.parent.mkdir(parents=True)
    fake.write_text("#!/bin/sh\necho 'SFH5-NOH5PY:fake: No module named h5py'\nexit 97\n")
    fake.chmod(0o755)
    monkeypatch.setenv("HOME", str(tmp_path))
    for written in ("~/env/bin/python", "$HOME/env/bin/python", "${HOME}/env/bin/python"):
        with pytest.raises(H5Error) as caught:
            ask(tmp_path, {"op": "tree", "path": "x.h5"}, (written,))
        assert f"{written}: no h5py (No module named h5py)" in str(caught.value), written


def test_the_tree_finds_nodes_and_lists_them(small, tmp_path):
    header, _ = ask(tmp_path, {"op": "tree", "path": str(small)})
    tree = H5Node.from_dict(header["tree"])
    assert tree["data"] is tree["/data"] and tree["meta"]["stack"].path == "/meta/stack"
    assert tree.as_dict() == header["tree"]
    with pytest.raises(KeyError, match="nope"):
        tree["nope"]
    text = str(tree)
    assert "data  uint16 10x9x64x64  720.0 KiB" in text and "chunks 4x3x64x64  gzip 4" in text
    assert "alias -> /data" in text and "@units = 'counts'" in text


def test_a_file_still_open_for_writing_can_be_looked_at(tmp_path):
    """A running job holds its output open (and HDF5's lock on it): a look still works."""
    with h5py.File(tmp_path / "growing.h5", "w") as writer:
        writer["frames"] = np.arange(12.0).reshape(3, 4)
        writer.flush()
        _, image = ask(tmp_path, {"op": "slice", "path": "growing.h5", "dataset": "frames"})
        assert np.array_equal(image, np.arange(12.0).reshape(3, 4))


def test_a_filter_this_python_lacks_is_named_with_the_cure(tmp_path):
    write_bitshuffle(tmp_path / "camera.h5")
    header, _ = ask(tmp_path, {"op": "tree", "path": "camera.h5"})
    frames = H5Node.from_dict(header["tree"])["frames"]
    assert frames.filters == ("bitshuffle",) and frames.compression is None
    assert "filters bitshuffle" in frames.line()
    with pytest.raises(H5Error) as caught:
        ask(tmp_path, {"op": "slice", "path": "camera.h5", "dataset": "frames", "index": [0]})
    assert caught.value.reason == "missing_filter"
    assert "/frames is compressed with bitshuffle" in str(caught.value)
    assert "-m pip install hdf5plugin" in str(caught.value)


def test_a_scan_step_reads_every_kth_position(small, tmp_path):
    """A quick look: every 3rd scan position of each axis, 1/9 of the reads."""
    detector = AnnularDarkField(32, 30, 2, 9).request()
    request = {"op": "virtual", "path": str(small), "dataset": "data", "detector": detector}
    _, full = ask(tmp_path, request)
    for bound in (BLOCK_BYTES, 12 * 19 * 19 * 8):  # one block, or blocks of whole chunks
        header, quick = ask(tmp_path, {**request, "scan_step": 3, "block_bytes": bound})
        assert header["shape"] == [4, 3] and np.array_equal(quick, full[::3, ::3])
    header, mean = ask(
        tmp_path, {"op": "mean", "path": str(small), "dataset": "data", "scan_step": 2}
    )
    with h5py.File(small, "r") as f:
        expected = f["data"][::2, ::2].astype(np.float64).mean(axis=(0, 1))
    assert header["patterns"] == 5 * 5
    np.testing.assert_allclose(mean, expected, rtol=1e-6)


def test_an_answer_cut_short_says_so():
    """An output limit on the way (the facility cuts command output at 4 MiB) leaves half a
    line: that is said, with what to do, not a decoding traceback."""
    with pytest.raises(H5Error, match=r"cut short or garbled .*max_pixels=") as caught:
        parse_answer("here", None, "SFH5:eJzT0d", "[output truncated at 4194304 bytes]", 0)
    assert caught.value.reason == "failed" and "output truncated" in str(caught.value)
