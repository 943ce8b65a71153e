"""Previews of remote files, made on the kernel side: text, images, ``.npy`` arrays.

Arrays are read with numpy (``allow_pickle=False``: a preview never runs code) and drawn
to a PNG here, with a viridis colour map and a tiny PNG writer (zlib), so no plotting
library is needed. A 2-D array is one image; a 3-D or 4-D array is shown one 2-D slice at
a time (the leading axes are the slider's).
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import numpy as np

from ..widgets.support.lines import terminal_lines

#: Files larger than this are not downloaded for a preview (the user can download them).
MAX_PREVIEW_BYTES = 16 * 1024 * 1024
#: Lines shown from the start and from the end of a text file.
TEXT_LINES = 40
#: The longest side of an array image, in pixels (larger arrays are strided down).
MAX_IMAGE_SIDE = 512
IMAGE_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}
#: HDF5 files (py4DSTEM's EMD is HDF5): previewed by their tree, read on the machine.
HDF5_TYPES = (".h5", ".hdf5", ".emd")

#: matplotlib's viridis at 10 evenly spaced points (the map is interpolated between them).
VIRIDIS = (
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
)


def _lut() -> np.ndarray:
    stops = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in VIRIDIS], float)
    x = np.linspace(0, 1, len(stops))
    grid = np.linspace(0, 1, 256)
    return np.stack([np.interp(grid, x, stops[:, k]) for k in range(3)], axis=1).astype(np.uint8)


VIRIDIS_LUT = _lut()


def png_bytes(rgb: np.ndarray) -> bytes:
    """A PNG of an ``(height, width, 3)`` uint8 array."""
    height, width, _ = rgb.shape
    rows = np.ascontiguousarray(rgb, dtype=np.uint8)
    raw = b"".join(b"\x00" + rows[r].tobytes() for r in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def kind_of(path: str) -> str:
    """What preview a file name calls for: ``image``, ``array``, ``hdf5`` or ``text``."""
    lower = path.lower()
    if lower.endswith(HDF5_TYPES):
        return "hdf5"
    if any(lower.endswith(ext) for ext in IMAGE_TYPES):
        return "image"
    if lower.endswith(".npy"):
        return "array"
    return "text"


def text_preview(data: bytes, lines: int = TEXT_LINES) -> dict[str, Any]:
    """The first and last ``lines`` lines; ``binary`` if it does not look like text."""
    if b"\0" in data[:8192]:
        return {"kind": "binary", "size": len(data)}
    # Shown as a terminal would show the file (colours and other escapes of a log file
    # removed, progress-bar overwrites applied); a download keeps the bytes as they are.
    all_lines = terminal_lines(data.decode("utf-8", errors="replace"))
    if len(all_lines) <= 2 * lines:
        return {
            "kind": "text",
            "head": all_lines,
            "tail": [],
            "skipped": 0,
            "total_lines": len(all_lines),
            "size": len(data),
        }
    return {
        "kind": "text",
        "head": all_lines[:lines],
        "tail": all_lines[-lines:],
        "skipped": len(all_lines) - 2 * lines,
        "total_lines": len(all_lines),
        "size": len(data),
    }


def hdf5_preview(path: str, machine: str, tree_text: str) -> dict[str, Any]:
    """An HDF5 file's tree (read on the machine, whatever the file's size) as a text preview,
    under a line saying how to look at its datasets."""
    hint = f"# HDF5 tree, read on {machine}; h5_view({path!r}, {machine!r}) shows its datasets"
    lines = [hint, *tree_text.splitlines()]
    return {"kind": "text", "head": lines, "tail": [], "skipped": 0, "total_lines": len(lines)}


def image_preview(path: str, data: bytes) -> tuple[dict[str, Any], list[bytes]]:
    mime = next(m for ext, m in IMAGE_TYPES.items() if path.lower().endswith(ext))
    return {"kind": "image", "mime": mime, "size": len(data)}, [data]


def load_array(data: bytes) -> np.ndarray:
    """The array in ``.npy`` bytes (never unpickles: object arrays are refused)."""
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as exc:
        raise ValueError(f"not a plain .npy array ({exc})") from None


def slice_of(array: np.ndarray, index: list[int] | None) -> tuple[np.ndarray, list[int]]:
    """The 2-D slice at ``index`` over the leading axes (clamped), and that index."""
    lead = array.ndim - 2
    wanted = list(index or [])[:lead] + [0] * max(0, lead - len(index or []))
    clamped = [min(max(int(i), 0), array.shape[k] - 1) for k, i in enumerate(wanted)]
    return array[tuple(clamped)] if lead else array, clamped


def array_preview(
    array: np.ndarray, index: list[int] | None = None
) -> tuple[dict[str, Any], list[bytes]]:
    """An array as a viridis PNG (2-D; a slice of 3-D/4-D) with its colour scale, or a
    summary for shapes that are not images (1-D, 5-D and up)."""
    info: dict[str, Any] = {"kind": "array", "shape": list(array.shape), "dtype": str(array.dtype)}
    if array.ndim < 2 or array.ndim > 4:
        flat = array.ravel()[:20]
        info["note"] = f"{array.ndim}-D arrays are not drawn; first values: {flat.tolist()}"
        return info, []
    plane, used = slice_of(array, index)
    if np.iscomplexobj(plane):
        plane = np.abs(plane)
        info["note"] = "complex values: showing the magnitude |z|"
    plane = plane.astype(np.float64, copy=False)
    step = max(1, -(-max(plane.shape) // MAX_IMAGE_SIDE))
    plane = plane[::step, ::step]
    finite = np.isfinite(plane)
    low = float(plane[finite].min()) if finite.any() else 0.0
    high = float(plane[finite].max()) if finite.any() else 0.0
    span = high - low or 1.0
    scaled = np.zeros(plane.shape, dtype=np.uint8)
    scaled[finite] = np.clip((plane[finite] - low) / span * 255, 0, 255).astype(np.uint8)
    rgb = VIRIDIS_LUT[scaled]
    rgb[~finite] = (128, 128, 128)
    info.update(
        index=used,
        slider_axes=list(array.shape[: array.ndim - 2]),
        vmin=low,
        vmax=high,
        stride=step,
        colormap=list(VIRIDIS),
    )
    return info, [png_bytes(rgb)]
