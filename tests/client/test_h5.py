"""``machine.h5(path)`` against the local facility: an HDF5 file read where it lies.

The file lives in the user's home on the facility; the remote program runs there, as the
user, through ``POST /utilities/command``, in a Python with h5py that the user's OS account
can run (``reachable_python``). The facility logs every API request and the bytes it
answered (tests/support/request_log.py), so what crossed the network is counted where it
was sent.
Every value is checked against h5py reading the same file here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import h5py
import numpy as np
import psutil
import pytest

from sfapi_jupyter import Client
from sfapi_jupyter.client import AnnularDarkField, BrightField
from sfapi_jupyter.client.h5 import KERNEL_VENV

from ..support.figures import record
from ..support.h5files import CENTRE, CHUNKS, DISC, SHAPE, write_4d, write_emd
from ..support.reachable import reachable_python
from ._watch_fixtures import (  # noqa: F401 - fixtures
    logged_facility,
    request_log,
    wclient,
)

BUDGET = 200_000


@pytest.fixture(scope="module")
def h5_python() -> Iterator[str]:
    """A Python with h5py and numpy that the facility's users can run."""
    with reachable_python(also=("h5py",)) as python:
        yield str(python)


@pytest.fixture
def home(logged_facility) -> Path:
    return Path(logged_facility.config.home_of("elvis"))


def readable(path: Path) -> Path:
    path.chmod(0o644)  # written by the test (root): the user's account must read it
    return path


def local_virtual(path: Path, dataset: str, centre, inner: float, outer: float) -> np.ndarray:
    """h5py here, the plain way: every full pattern, one scan row at a time."""
    with h5py.File(path, "r") as f:
        ds = f[dataset]
        rr, cc = np.indices(ds.shape[2:])
        distance = np.hypot(rr - centre[0], cc - centre[1])
        mask = (distance >= inner) & (distance <= outer)
        rows = [ds[y][:, mask].astype(np.float64).sum(axis=-1) for y in range(ds.shape[0])]
        return np.array(rows)


def sent_since(request_log, start: int) -> tuple[int, list[str]]:
    seen = request_log.since(start)
    return sum(r.sent for r in seen), [f"{r.method} {r.path}" for r in seen]


async def test_tree_and_virtual_image_of_2_gib_cost_under_200_kb(
    wclient, request_log, home, h5_python
):
    path = readable(write_4d(home / "scan.h5"))
    assert path.stat().st_size < 2_000_000  # 2 GiB logical, tiny on disk
    h5 = wclient.compute("perlmutter").h5("scan.h5", python=h5_python)
    start = len(request_log.seen)

    tree = await h5.tree()
    data = tree["/data"]
    assert (data.shape, data.dtype, data.chunks) == (SHAPE, "uint16", CHUNKS)
    assert (data.compression, data.compression_opts) == ("gzip", 4)
    assert data.nbytes == 2 * 1024**3
    assert data.attrs == {"units": "counts"}
    assert tree.attrs["instrument"] == "TEAM 0.5" and tree.attrs["voltage_kV"] == [300.0]
    assert tree.attrs["big"] == "array 1000 float64"  # summarised, not sent
    assert tree["meta/stack"].shape == (5, 40, 60)
    assert tree["alias"].kind == "link" and tree["alias"].target == "/data"
    assert [n.path for n in tree.four_d()] == ["/data"]
    assert "data  uint16 128x128x256x256  2.0 GiB" in str(tree)

    bright = await h5.virtual_image("/data", BrightField(*CENTRE, DISC))
    sent, requests = sent_since(request_log, start)
    record("hdf5", "tree + virtual image of a 2 GiB dataset: response bytes", sent, "B")
    assert sent < BUDGET, requests
    assert not any("download" in r for r in requests)
    assert bright.shape == (128, 128) and bright.binned == 1 and bright.data.dtype.kind == "u"
    expected = local_virtual(path, "/data", CENTRE, 0, DISC)
    assert np.array_equal(bright.data, expected)
    assert bright.data[0:8, 0:8].min() > 0 and bright.data[8:, 8:].sum() == bright.data[100, 50]

    ring = await h5.virtual_image("/data", AnnularDarkField(*CENTRE, 28, 36))
    assert np.array_equal(ring.data, local_virtual(path, "/data", CENTRE, 28, 36))
    quick = await h5.virtual_image("/data", BrightField(*CENTRE, DISC), scan_step=4)
    assert quick.shape == (32, 32) and np.array_equal(quick.data, bright.data[::4, ::4])
    assert h5.commands == 4 and h5.python_found == h5_python


async def test_mean_diffraction_and_slices_equal_h5py_here(wclient, home, h5_python):
    path = readable(write_4d(home / "scan.h5"))
    h5 = wclient.compute("perlmutter").h5("~/scan.h5", python=h5_python)
    mean = await h5.mean_diffraction("/data")
    record("hdf5", "mean diffraction of a 2 GiB dataset: command output", mean.response_chars, "B")
    record("hdf5", "mean diffraction of a 2 GiB dataset: seconds on the machine", mean.seconds, "s")
    with h5py.File(path, "r") as f:
        ds = f["data"]
        total = sum(ds[y].sum(axis=0, dtype=np.float64) for y in range(ds.shape[0]))
        np.testing.assert_allclose(mean.data, total / (128 * 128), rtol=1e-6)
        frame = await h5["/data"][100, 50]
        assert frame.data.dtype == np.uint16 and np.array_equal(frame.data, ds[100, 50])
        columns = await h5.slice("/data", (5, None, 120, None))
        assert np.array_equal(columns.data, ds[5, :, 120, :])
        stack = await h5.slice("meta/stack", (3, ...))
        assert np.array_equal(stack.data, f["meta/stack"][3])
        dark = f["meta/dark"][()]
    # 300x200 is more than 100x100 pixels: the machine bins it by 3 (means of 3x3 blocks).
    small = await h5.slice("/meta/dark", max_pixels=100 * 100)
    assert (small.binned, small.shape, small.data.shape) == (3, (300, 200), (100, 67))
    padded = np.pad(dark.astype(np.float64), ((0, 0), (0, 1)), constant_values=np.nan)
    expected = np.nanmean(padded.reshape(100, 3, 67, 3), axis=(1, 3))
    np.testing.assert_allclose(small.data, expected, rtol=1e-6)


async def test_the_remote_kernel_environment_is_used_by_default(wclient, home, h5_python):
    readable(write_4d(home / "scan.h5", shape=(8, 8, 32, 32), chunks=(4, 4, 32, 32)))
    venv = home / KERNEL_VENV.removeprefix("~/")
    venv.parent.mkdir(parents=True)
    venv.symlink_to(Path(h5_python).parent.parent)  # as install-kernel --remote makes it
    os.chmod(venv.parent, 0o755)
    machine = wclient.compute("perlmutter")
    h5 = machine.h5("scan.h5")
    image = await h5.virtual_image("data", BrightField(16, 16, 3))
    assert image.shape == (8, 8)
    assert h5.python_found == f"{venv}/bin/python"
    # A Python found before and gone since (the environment removed): looked for again.
    machine.h5_pythons[None] = "/gone/bin/python"
    assert (await h5.tree())["data"].shape == (8, 8, 32, 32)
    assert h5.python_found == f"{venv}/bin/python" and h5.commands == 3


async def test_an_emd_file_shows_its_tree_and_a_virtual_image(wclient, home, h5_python):
    path = readable(write_emd(home / "cube.emd"))  # as py4DSTEM saves a DataCube
    h5 = wclient.compute("perlmutter").h5("cube.emd", python=h5_python)
    tree = await h5.tree()
    assert tree.attrs["emd_group_type"] == "file" and tree.attrs["version_major"] == 1
    cube = tree["datacube_root/datacube"]
    assert cube.attrs["emd_group_type"] == "array"
    assert [c.name for c in cube.children] == ["data", "dim0", "dim1", "dim2", "dim3"]
    assert cube["dim2"].attrs == {"name": "Qx", "units": "mrad"}
    assert [n.path for n in tree.four_d()] == ["/datacube_root/datacube/data"]
    image = await h5.virtual_image("/datacube_root/datacube/data", BrightField(32, 30, 6))
    assert image.data.dtype == np.float32
    expected = local_virtual(path, "/datacube_root/datacube/data", (32, 30), 0, 6)
    np.testing.assert_allclose(image.data, expected, rtol=1e-6)


def test_the_blocking_client(logged_facility, home, h5_python):
    creds = logged_facility.create_client("elvis")  # makes the home
    readable(write_4d(home / "scan.h5", shape=(6, 5, 16, 16), chunks=(2, 5, 16, 16)))
    with Client(
        logged_facility.api_url,
        logged_facility.token_url,
        client_id=creds.client_id,
        key=creds.private_key_pem,
    ) as client:
        h5 = client.compute("perlmutter").h5("scan.h5", python=h5_python)
        assert h5.tree()["data"].shape == (6, 5, 16, 16)
        frame = h5["data"][0, 0]
        assert frame.shape == (16, 16) and frame.data.sum() > 0
        mean = h5["data"].mean_diffraction()
        assert mean.data.shape == (16, 16)


def remote_programs() -> list[psutil.Process]:
    """The remote program's Pythons running now (their ``-c`` text starts with this)."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(a.startswith("import base64,zlib;exec(") for a in proc.info["cmdline"] or []):
                found.append(proc)
    return found


async def test_a_cancelled_question_stops_its_command_there(wclient, request_log, home, h5_python):
    """What a viewer does while the detector is dragged: the superseded question's command
    is cancelled on the machine (DELETE /tasks/{id}), not left reading the file."""
    readable(write_4d(home / "scan.h5"))
    # 1 MiB blocks: two thousand reads, long enough to be caught running.
    h5 = wclient.compute("perlmutter").h5("scan.h5", python=h5_python, block_bytes=1 << 20)
    start = len(request_log.seen)
    asking = asyncio.create_task(h5.mean_diffraction("/data"))
    deadline = time.monotonic() + 30
    while not remote_programs() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert remote_programs(), "the program never started"
    asking.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asking
    assert any(r.method == "DELETE" and "/tasks/" in r.path for r in request_log.since(start))
    deadline = time.monotonic() + 10
    while remote_programs() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert not remote_programs()
