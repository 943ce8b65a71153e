"""HDF5 files for the remote-HDF5 tests, written with h5py.

:func:`write_4d` makes a 4D-STEM-shaped file whose ``/data`` is 128x128x256x256 uint16: 2 GiB
logical, chunked and compressed, and nearly all fill value, so a few hundred kB on disk.
:func:`write_emd` makes an EMD 1.0 file with ``emdfile``, the EMD writer py4DSTEM 0.14 saves
with (``py4DSTEM.save`` hands its DataCube, an ``emdfile.Array``, to ``emdfile.save``): the
layout of a py4DSTEM-written ``.emd``. py4DSTEM itself is not installed here (it brings
numba, scipy, scikit-image and more); emdfile is.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

SHAPE = (128, 128, 256, 256)
CHUNKS = (4, 4, 256, 256)
#: Where the written patterns have their bright disc (row, col) and its radius.
CENTRE, DISC = (128, 120), 12


def _patterns(n: int, rng: np.random.Generator, det: tuple[int, ...]) -> np.ndarray:
    """``n`` diffraction patterns: a bright disc with Poisson counts, and a faint ring
    (at CENTRE with radius DISC on a 256x256 detector, scaled on another)."""
    scale = det[0] / 256
    row, col = CENTRE[0] * scale, CENTRE[1] * scale
    rr, cc = np.ogrid[: det[0], : det[1]]
    distance = np.hypot(rr - row, cc - col)
    disc = distance <= max(DISC * scale, 1.5)
    ring = (distance >= 30 * scale) & (distance <= 34 * scale)
    frames = np.zeros((n, *det), np.uint16)
    frames[:, disc] = rng.poisson(900, (n, int(disc.sum()))).astype(np.uint16)
    frames[:, ring] = rng.poisson(3, (n, int(ring.sum()))).astype(np.uint16)
    return frames


def write_4d(path: Path, shape: tuple[int, ...] = SHAPE, chunks: tuple[int, ...] = CHUNKS) -> Path:
    """The 2 GiB-logical 4-D file (plus a 3-D and a 2-D dataset, groups, attributes, a link)."""
    rng = np.random.default_rng(7)
    sy, sx, dy, dx = shape
    with h5py.File(path, "w") as f:
        f.attrs["instrument"] = "TEAM 0.5"
        f.attrs["scan_step_nm"] = 0.25
        f.attrs["voltage_kV"] = np.array([300.0])
        f.attrs["big"] = np.arange(1000, dtype=np.float64)
        ds = f.create_dataset(
            "data",
            shape=shape,
            dtype=np.uint16,
            chunks=chunks,
            compression="gzip",
            compression_opts=4,
            fillvalue=0,
        )
        ds.attrs["units"] = "counts"
        # A written corner (whole chunks) and two lone positions: the rest stays fill value.
        ny, nx = min(8, sy), min(8, sx)
        ds[0:ny, 0:nx] = _patterns(ny * nx, rng, (dy, dx)).reshape(ny, nx, dy, dx)
        if sy > 100 and sx > 50:
            ds[100, 50] = _patterns(1, rng, (dy, dx))[0]
        ds[sy - 1, sx - 1, dy // 25, dx * 200 // 256] = 7
        meta = f.create_group("meta")
        meta.attrs["note"] = "x" * 500
        meta.create_dataset("stack", data=rng.integers(0, 50, (5, 40, 60), dtype=np.int32))
        meta.create_dataset("dark", data=rng.random((300, 200)).astype(np.float32))
        meta.create_dataset("label", data="not an image")
        f["alias"] = h5py.SoftLink("/data")
    return path


def write_emd(path: Path, shape: tuple[int, ...] = (24, 20, 64, 64)) -> Path:
    """A 4D-STEM datacube saved as py4DSTEM 0.14 saves one: through ``emdfile`` (its EMD
    writer), as an ``Array`` named ``datacube`` with dims Rx, Ry, Qx, Qy."""
    import emdfile

    rng = np.random.default_rng(11)
    n = shape[0] * shape[1]
    frames = np.zeros((n, *shape[2:]), np.float32)
    rr, cc = np.ogrid[: shape[2], : shape[3]]
    frames[:, (rr - 32) ** 2 + (cc - 30) ** 2 <= 36] = rng.random((n, 1)) * 100 + 50
    cube = emdfile.Array(
        data=frames.reshape(shape),
        name="datacube",
        units="counts",
        dims=[0.3, 0.3, 0.5, 0.5],
        dim_names=["Rx", "Ry", "Qx", "Qy"],
        dim_units=["nm", "nm", "mrad", "mrad"],
    )
    emdfile.save(str(path), cube)
    return path


def write_bitshuffle(path: Path) -> Path:
    """A dataset compressed with bitshuffle (HDF5 filter 32008, as Dectris and other camera
    files are), written as raw chunks: reading it needs hdf5plugin, which the tests lack."""
    with h5py.File(path, "w") as f:
        ds = f.create_dataset(
            "frames",
            shape=(2, 4, 4),
            dtype=np.uint16,
            chunks=(1, 4, 4),
            compression=32008,
            compression_opts=(0, 2),
            allow_unknown_filter=True,
        )
        for k in range(2):
            ds.id.write_direct_chunk((k, 0, 0), bytes(40))
    return path
