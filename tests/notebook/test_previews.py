"""Previews drawn on the kernel side: text head and tail, arrays as viridis PNGs."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest

from sfapi_jupyter.notebook import previews

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """(width, height, raw scanlines) of a PNG: proves what previews write is a PNG."""
    assert data.startswith(PNG_MAGIC)
    pos, idat, size = 8, b"", (0, 0)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    return size[0], size[1], zlib.decompress(idat)


# -- previews -----------------------------------------------------------------------------------
def test_text_preview_head_and_tail() -> None:
    data = "".join(f"line {i}\n" for i in range(1000)).encode()
    shown = previews.text_preview(data, lines=5)
    assert shown["head"] == [f"line {i}" for i in range(5)]
    assert shown["tail"] == [f"line {i}" for i in range(995, 1000)]
    assert shown["skipped"] == 990 and shown["total_lines"] == 1000
    assert previews.text_preview(b"a\nb\n")["tail"] == []
    assert previews.text_preview(b"\x00\x01binary")["kind"] == "binary"


def test_array_preview_2d_is_a_viridis_png_with_its_scale() -> None:
    array = np.linspace(-1, 1, 60 * 80).reshape(60, 80)
    array[0, 0] = np.nan
    info, [png] = previews.array_preview(array)
    width, height, raw = decode_png(png)
    assert (width, height) == (80, 60) and len(raw) == 60 * (1 + 80 * 3)
    assert info["vmin"] == pytest.approx(-1 + 2 / (60 * 80 - 1)) and info["vmax"] == 1
    assert info["slider_axes"] == [] and info["colormap"][0] == "#440154"
    assert raw[1:4] == bytes((128, 128, 128))  # NaN drawn grey
    assert raw[-3:] == bytes(previews.VIRIDIS_LUT[255])  # the maximum is viridis' yellow


def test_array_preview_slices_3d_and_4d_and_clamps_the_index() -> None:
    cube = np.arange(4 * 5 * 6 * 7, dtype=np.int32).reshape(4, 5, 6, 7)
    info, _ = previews.array_preview(cube, [2, 9])
    assert info["index"] == [2, 4] and info["slider_axes"] == [4, 5]
    assert info["vmin"] == cube[2, 4].min() and info["vmax"] == cube[2, 4].max()
    info, _ = previews.array_preview(cube[0], None)
    assert info["index"] == [0] and info["slider_axes"] == [5]


def test_array_preview_of_large_complex_and_odd_shapes() -> None:
    big = np.ones((2048, 1024), dtype=np.complex64)
    info, [png] = previews.array_preview(big)
    assert info["stride"] == 4 and decode_png(png)[:2] == (256, 512)
    assert "magnitude" in info["note"]
    info, buffers = previews.array_preview(np.arange(5))
    assert (
        buffers == [] and "1-D arrays are not drawn; first values: [0, 1, 2, 3, 4]" in info["note"]
    )


def test_load_array_never_unpickles() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match=r"not a plain \.npy array"):
        previews.load_array(buffer.getvalue())


def test_kinds_by_name() -> None:
    assert previews.kind_of("/a/B.PNG") == "image" and previews.kind_of("x.jpeg") == "image"
    assert previews.kind_of("scan.npy") == "array" and previews.kind_of("run.out") == "text"
    # HDF5 (and py4DSTEM's EMD, which is HDF5): their tree, read on the machine.
    assert previews.kind_of("scan_0042.H5") == "hdf5" and previews.kind_of("a.hdf5") == "hdf5"
    assert previews.kind_of("tutorial.emd") == "hdf5" and previews.kind_of("h5.txt") == "text"


def test_an_hdf5_preview_is_its_tree_under_how_to_open_it() -> None:
    preview = previews.hdf5_preview("/home/elvis/scan.h5", "perlmutter", "/\n  data  uint16 4x4")
    assert preview["kind"] == "text" and preview["total_lines"] == 3
    assert preview["head"] == [
        "# HDF5 tree, read on perlmutter; "
        "h5_view('/home/elvis/scan.h5', 'perlmutter') shows its datasets",
        "/",
        "  data  uint16 4x4",
    ]
