"""The program that runs ON the machine, in a Python (3.8 or later) with h5py and numpy.

Not imported by the package: :mod:`._command` sends its text, compressed, as ``python -c``
with the request as one base64 JSON argument; it imports only the standard library, h5py
and numpy. The answer is one stdout line, ``SFH5:`` + base64(zlib(header JSON [+ "\\n" +
.npy bytes])); a refusal is a header with ``error`` and ``message``; without h5py or numpy
it prints ``SFH5-NOH5PY:`` and exits 97 (the shell tries the next Python). Memory stays
bounded: datasets are read in blocks of at most ``block_bytes`` (a 4-D one in whole chunks
along its scan axes), and images over ``max_pixels`` are binned before they are sent.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import math
import os
import sys
import time
import zlib
from typing import Any

NO_H5PY = 97
#: Limits of the tree: nodes described, attributes per node, characters per value.
MAX_NODES = 2000
MAX_ATTRS = 40
MAX_TEXT = 120
np: Any = None
h5py: Any = None


class Refusal(Exception):
    """A bad input: ``reason`` (a short code) and the message the user sees."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def encode(header: dict[str, Any], array: Any = None) -> str:
    body = json.dumps(header).encode()
    if array is not None:
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        body += b"\n" + buffer.getvalue()
    return "SFH5:" + base64.b64encode(zlib.compress(body, 6)).decode() + "\n"


def summarise(value: Any) -> Any:
    """A small JSON value for an attribute: numbers and short text as they are, arrays of
    up to 8 numbers as lists, anything larger as its shape and dtype."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if isinstance(value, np.ndarray):
        if value.size <= 8 and value.dtype.kind in "biuf":
            return value.tolist()
        if value.size <= 8 and value.dtype.kind in "SOU":
            return [summarise(v) for v in value.ravel()]
        return "array {} {}".format("x".join(map(str, value.shape)), value.dtype)
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def attributes(obj: Any) -> dict[str, Any]:
    found: dict[str, Any] = {}
    names = list(obj.attrs)
    for name in names[:MAX_ATTRS]:
        try:
            found[name] = summarise(obj.attrs[name])
        except Exception as exc:  # an attribute h5py cannot read (an odd type): say so
            found[name] = f"<unreadable: {str(exc)[:80]}>"
    if len(names) > MAX_ATTRS:
        found["…"] = f"{len(names) - MAX_ATTRS} more attributes"
    return found


#: Filters h5py does not name: those of hdf5plugin, which camera files use (bitshuffle+LZ4).
FILTERS = {32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32015: "zstd", 32026: "blosc2"}


def filters(ds: Any) -> list[str]:
    plist = ds.id.get_create_plist()
    pairs = [plist.get_filter(i)[::3] for i in range(plist.get_nfilters())]  # (code, name)
    return [FILTERS.get(code) or name.decode(errors="replace") or str(code) for code, name in pairs]


def describe_dataset(ds: Any) -> dict[str, Any]:
    opts = ds.compression_opts
    fill = ds.fillvalue
    string = h5py.check_string_dtype(ds.dtype) is not None
    return {
        "kind": "dataset",
        "shape": list(ds.shape) if ds.shape is not None else None,
        "dtype": "str" if string else str(ds.dtype)[:200],
        "chunks": list(ds.chunks) if ds.chunks else None,
        "compression": ds.compression if ds.compression != "unknown" else None,
        "compression_opts": opts if isinstance(opts, (int, type(None))) else str(opts),
        "filters": filters(ds),
        "fillvalue": summarise(fill) if fill is not None and not string else None,
        "nbytes": int(math.prod(ds.shape) * ds.dtype.itemsize) if ds.shape is not None else 0,
        "storage_bytes": int(ds.id.get_storage_size()),
    }


def tree(f: Any, budget: list[int]) -> dict[str, Any]:
    """Every group, dataset and link from the root, until ``budget`` nodes were described."""

    def visit(group: Any, path: str) -> dict[str, Any]:
        node: dict[str, Any] = {"kind": "group", "path": path, "attrs": attributes(group)}
        children = []
        for name in group:
            if budget[0] <= 0:
                node["truncated"] = True
                break
            budget[0] -= 1
            child_path = path.rstrip("/") + "/" + name
            link = group.get(name, getlink=True)
            if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
                target = link.path if isinstance(link, h5py.SoftLink) else link.filename
                children.append({"kind": "link", "path": child_path, "target": target})
                continue
            obj = group[name]
            if isinstance(obj, h5py.Group):
                children.append(visit(obj, child_path))
            else:
                entry = describe_dataset(obj)
                entry.update(path=child_path, attrs=attributes(obj))
                children.append(entry)
        node["children"] = children
        return node

    return visit(f, "/")


def dataset(f: Any, name: str, filename: str) -> Any:
    obj = f.get(name)
    if obj is None:
        found: list[str] = []
        f.visititems(lambda n, o: found.append("/" + n) if isinstance(o, h5py.Dataset) else None)
        some = ", ".join(found[:8]) + (", …" if len(found) > 8 else "") if found else "none"
        raise Refusal("no_dataset", f"{filename} has no dataset {name} (its datasets: {some})")
    if not isinstance(obj, h5py.Dataset):
        members = ", ".join(list(obj)[:8]) or "none"
        raise Refusal(
            "not_a_dataset",
            f"{name} in {filename} is a group, not a dataset (its members: {members})",
        )
    if obj.dtype.kind not in "biufc":
        raise Refusal(
            "not_numeric",
            f"{name} holds {obj.dtype} values, not numbers: it can be listed, not drawn",
        )
    return obj


def bin_factor(shape: tuple[int, ...], max_pixels: int) -> int:
    return max(1, math.ceil(math.sqrt(math.prod(shape) / max_pixels)))


def binned(image: Any, factor: int) -> Any:
    """Means of ``factor``x``factor`` blocks (the blocks at the edges may be smaller)."""
    if factor == 1 or image.ndim == 0:
        return image
    complex_ = image.dtype.kind == "c"
    data = image.astype(np.complex128 if complex_ else np.float64)
    for axis in range(image.ndim):
        starts = np.arange(0, image.shape[axis], factor)
        counts = np.minimum(factor, image.shape[axis] - starts)
        shape = [1] * image.ndim
        shape[axis] = len(counts)
        data = np.add.reduceat(data, starts, axis=axis) / counts.reshape(shape)
    return data.astype(np.complex64 if complex_ else np.float32)


def compact(image: Any) -> Any:
    """Integer sums in the smallest integer type that holds them exactly; floats as float32."""
    if image.dtype.kind in "iu" and image.size:
        low, high = int(image.min()), int(image.max())
        return image.astype(np.result_type(np.min_scalar_type(low), np.min_scalar_type(high)))
    return image.astype(np.complex64 if image.dtype.kind == "c" else np.float32)


def sent_image(image: Any, max_pixels: int, blocks: int, **extra: Any) -> tuple[Any, dict]:
    """A computed image as sent (binned to ``max_pixels``, compact) and its header."""
    factor = bin_factor(image.shape, max_pixels)
    header = {"binned": factor, "shape": list(image.shape), "blocks": blocks, **extra}
    return compact(binned(image, factor)), header


def plane(ds: Any, request: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The 2-D slice: ``index`` holds an integer per axis, and null for the two drawn."""
    shape = ds.shape
    if len(shape) < 2:
        factor = bin_factor(shape, request["max_pixels"])
        return binned(ds[()], factor), {"binned": factor, "shape": list(shape)}
    index = request.get("index")
    if not index:
        index = [0] * (len(shape) - 2) + [None, None]
    elif "..." in index:
        at = index.index("...")
        index = index[:at] + [None] * (len(shape) - len(index) + 1) + index[at + 1 :]
    elif len(index) < len(shape):  # as numpy: the axes not given are drawn
        index = index + [None] * (len(shape) - len(index))
    if len(index) != len(shape) or sum(i is None for i in index) != 2:
        raise Refusal(
            "bad_index",
            f"the index must give one entry per axis of {ds.name} ({len(shape)}), with exactly "
            f"two axes left to draw: got {index}",
        )
    for axis, (i, n) in enumerate(zip(index, shape)):  # noqa: B905 (Python 3.8 there)
        if i is not None and not -n <= i < n:
            raise Refusal(
                "bad_index", f"index {i} is outside axis {axis} of {ds.name} (0..{n - 1})"
            )
    a, b = [axis for axis, i in enumerate(index) if i is None]
    factor = bin_factor((shape[a], shape[b]), request["max_pixels"])
    row_bytes = shape[b] * ds.dtype.itemsize
    rows = max(factor, request["block_bytes"] // max(row_bytes, 1) // factor * factor)
    parts = []
    for start in range(0, shape[a], rows):
        selection = [i if i is not None else slice(None) for i in index]
        selection[a] = slice(start, min(start + rows, shape[a]))
        parts.append(binned(ds[tuple(selection)], factor))
    return np.concatenate(parts, axis=0), {"binned": factor, "shape": [shape[a], shape[b]]}


def four_d(ds: Any) -> None:
    if ds.ndim != 4:
        raise Refusal(
            "not_4d",
            f"{ds.name} has shape {'x'.join(map(str, ds.shape)) or '()'} ({ds.ndim}-D): the mean "
            "diffraction pattern and virtual images need a 4-D dataset (scan_y, scan_x, det_y, "
            "det_x); draw it with slice() instead",
        )


def scan_blocks(ds: Any, frame_bytes: int, request: dict[str, Any]) -> list[tuple[slice, slice]]:
    """Blocks of scan positions, whole chunks along the scan axes, of at most ``block_bytes``
    (at least one chunk column, or one position when a chunk is larger than that); with
    ``scan_step`` k, every k-th position of each (a quick look: 1/k² of the reads)."""
    sy, sx = ds.shape[:2]
    cy, cx = (ds.chunks or (1, 1))[:2]
    bound, k = request["block_bytes"], request.get("scan_step", 1)
    if cy * cx * frame_bytes > bound:
        cy = cx = 1
    if cy * sx * frame_bytes <= bound:
        by, bx = max(cy, bound // (sx * frame_bytes) // cy * cy), sx
    else:
        by, bx = cy, max(cx, bound // (cy * frame_bytes) // cx * cx)
    by, bx = -(-by // k) * k, -(-bx // k) * k  # blocks start on the kept positions
    return [
        (slice(y, min(y + by, sy), k), slice(x, min(x + bx, sx), k))
        for y in range(0, sy, by)
        for x in range(0, sx, bx)
    ]


def kept(part: slice) -> slice:
    """Where a block of kept positions goes in the result."""
    return slice(part.start // part.step, -(-part.stop // part.step))


def mean_diffraction(ds: Any, request: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    four_d(ds)
    dy, dx = ds.shape[2:]
    total = np.zeros((dy, dx), np.complex128 if ds.dtype.kind == "c" else np.float64)
    blocks = scan_blocks(ds, dy * dx * ds.dtype.itemsize, request)
    count = 0
    for rows, cols in blocks:
        block = ds[rows, cols]
        total += block.sum(axis=(0, 1), dtype=total.dtype)
        count += block.shape[0] * block.shape[1]
    return sent_image(total / max(count, 1), request["max_pixels"], len(blocks), patterns=count)


def detector_mask(detector: dict[str, Any], dy: int, dx: int) -> tuple[Any, slice, slice]:
    """The detector's pixels (a mask over its bounding box, and the box) on a dyxdx pattern."""
    row, col = float(detector["row"]), float(detector["col"])
    inner = float(detector.get("inner", 0.0))
    outer = float(detector["outer"])
    if not (0 <= row <= dy - 1 and 0 <= col <= dx - 1):
        raise Refusal(
            "detector_outside",
            f"the detector's centre ({row:g}, {col:g}) is outside the {dy}x{dx} diffraction "
            f"pattern: put it within rows 0..{dy - 1} and columns 0..{dx - 1}",
        )
    r0, r1 = max(0, math.floor(row - outer)), min(dy, math.ceil(row + outer) + 1)
    c0, c1 = max(0, math.floor(col - outer)), min(dx, math.ceil(col + outer) + 1)
    rr, cc = np.ogrid[r0:r1, c0:c1]
    distance = np.sqrt((rr - row) ** 2 + (cc - col) ** 2)
    mask = (distance <= outer) & (distance >= inner)
    if not mask.any():
        raise Refusal(
            "detector_outside",
            f"the detector (centre ({row:g}, {col:g}), radii {inner:g}..{outer:g}) covers no "
            f"pixel of the {dy}x{dx} diffraction pattern: make it larger",
        )
    return mask, slice(r0, r1), slice(c0, c1)


def virtual_image(ds: Any, request: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The sum, at each scan position, of the pattern's pixels inside the detector; only the
    detector's bounding box of each pattern is read."""
    four_d(ds)
    sy, sx, dy, dx = ds.shape
    mask, rows_box, cols_box = detector_mask(request["detector"], dy, dx)
    # Sums in a type that holds them exactly (integers) or to double precision.
    total = {"c": np.complex128, "f": np.float64}.get(ds.dtype.kind, np.int64)
    weights = mask.astype(total)
    k = request.get("scan_step", 1)
    image = np.zeros((-(-sy // k), -(-sx // k)), total)
    # The bound counts the block once converted to that type.
    blocks = scan_blocks(ds, mask.size * np.dtype(total).itemsize, request)
    for rows, cols in blocks:
        data = ds[rows, cols, rows_box, cols_box].astype(total)
        image[kept(rows), kept(cols)] = np.einsum("ijkl,kl->ij", data, weights)
    return sent_image(image, request["max_pixels"], len(blocks), pixels=int(mask.sum()))


OPERATIONS = {"slice": plane, "mean": mean_diffraction, "virtual": virtual_image}


def answer(request: dict[str, Any]) -> str:
    path = os.path.expanduser(request["path"])
    shown = request["path"]
    if not os.path.exists(path):
        raise Refusal(
            "missing_file",
            f"{shown}: no such file on the machine (a relative path starts at your home)",
        )
    if os.path.isdir(path):
        raise Refusal("not_a_file", f"{shown} is a directory, not an HDF5 file")
    if not os.access(path, os.R_OK):
        raise Refusal("unreadable", f"{shown}: permission denied (you may not read it)")
    if not h5py.is_hdf5(path):
        raise Refusal(
            "not_hdf5",
            f"{shown} is not an HDF5 file (it does not start with HDF5's signature); .h5, .hdf5 "
            "and .emd files are HDF5: check the path",
        )
    started = time.time()
    with h5py.File(path, "r") as f:
        header: dict[str, Any] = {"python": sys.executable, "h5py": h5py.__version__}
        if request["op"] == "tree":
            header["tree"] = tree(f, [request.get("max_nodes", MAX_NODES)])
            header["seconds"] = round(time.time() - started, 3)
            return encode(header)
        ds = dataset(f, request["dataset"], shown)
        try:
            image, extra = OPERATIONS[request["op"]](ds, request)
        except OSError as exc:  # most often a compression filter this Python lacks
            if "filter" not in str(exc) and "plugin" not in str(exc):
                raise
            raise Refusal(
                "missing_filter",
                f"{ds.name} is compressed with {', '.join(filters(ds))}, which this Python "
                f"({sys.executable}) cannot decode: install hdf5plugin there "
                f"('{sys.executable} -m pip install hdf5plugin')",
            ) from None
        header.update(extra, dataset=ds.name, seconds=round(time.time() - started, 3))
        return encode(header, image)


def main(argv: list[str]) -> int:
    global np, h5py
    # Read without HDF5's file lock: a file a running job still has open for writing
    # refuses a locking reader ("unable to lock file"), and NERSC advises this for reading
    # HDF5 on its file systems. Set before h5py loads the library.
    os.environ.setdefault("HDF5_USE_FILE_LOCKING", "FALSE")
    try:
        import h5py as h5py_module
        import numpy as numpy_module
    except Exception as exc:
        sys.stdout.write(f"SFH5-NOH5PY:{sys.executable}: {str(exc).splitlines()[0]}\n")
        return NO_H5PY
    np, h5py = numpy_module, h5py_module
    with contextlib.suppress(ImportError):  # the filters camera files use, where installed
        import hdf5plugin  # noqa: F401
    request = json.loads(base64.b64decode(argv[0]))
    try:
        sys.stdout.write(answer(request))
    except Refusal as refusal:
        sys.stdout.write(encode({"error": refusal.reason, "message": refusal.message}))
    except (OSError, ValueError, KeyError, TypeError, RuntimeError, MemoryError) as exc:
        message = f"{type(exc).__name__}: {str(exc)[:300]}"
        sys.stdout.write(encode({"error": "failed", "message": message}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
