"""``AsyncH5File``: an HDF5 file on the machine, read where it lies.

Each question (the tree, a slice, the mean diffraction pattern, a virtual image) is one
``POST /utilities/command`` running :mod:`._remote` in a Python with h5py and numpy there,
and its answer is the result (compressed ``.npy`` bytes), never the data.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Union

from .._errors import H5Error
from ._command import DEFAULT_PYTHONS, command, parse_answer
from ._tree import H5Node

if TYPE_CHECKING:
    from ..resources.jobs import AsyncJob
    from ..resources.machine import AsyncMachine

#: Images larger than this many pixels are binned (block means) on the machine.
MAX_PIXELS = 512 * 512
#: Bytes of a dataset the machine holds in memory at once (the block it reads).
BLOCK_BYTES = 64 * 1024 * 1024


def _number(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, not {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return number


@dataclass(frozen=True)
class BrightField:
    """A disc detector: the pixels within ``radius`` of (``row``, ``col``) of the pattern."""

    row: float
    col: float
    radius: float

    def __post_init__(self) -> None:
        for name in ("row", "col", "radius"):
            object.__setattr__(self, name, _number(name, getattr(self, name)))
        if self.radius <= 0:
            raise ValueError(f"the radius must be above 0 pixels, not {self.radius:g}")

    def request(self) -> dict[str, Any]:
        return {"kind": "bright_field", "row": self.row, "col": self.col, "outer": self.radius}


@dataclass(frozen=True)
class AnnularDarkField:
    """A ring detector: the pixels from ``inner`` to ``outer`` pixels of (``row``, ``col``)."""

    row: float
    col: float
    inner: float
    outer: float

    def __post_init__(self) -> None:
        for name in ("row", "col", "inner", "outer"):
            object.__setattr__(self, name, _number(name, getattr(self, name)))
        if not 0 <= self.inner < self.outer:
            raise ValueError(
                f"the radii must satisfy 0 <= inner < outer, not inner={self.inner:g}, "
                f"outer={self.outer:g}"
            )

    def request(self) -> dict[str, Any]:
        return {
            "kind": "annular",
            "row": self.row,
            "col": self.col,
            "inner": self.inner,
            "outer": self.outer,
        }


Detector = Union[BrightField, AnnularDarkField]  # noqa: UP007 (a runtime alias, 3.10 too)
#: One entry of an index: an integer, or None / ``slice(None)`` / ``...`` for drawn axes.
IndexItem = Any


@dataclass(frozen=True)
class H5Image:
    """A result computed on the machine: ``data`` (a numpy array) and how it was made.

    ``shape`` is the full result's shape; ``binned`` > 1 says ``data`` holds the means of
    ``binned``x``binned`` blocks of it (it was larger than ``max_pixels``). Integer sums
    arrive exactly, in the smallest integer type that holds them; means and binned images as
    float32; an unbinned slice in the dataset's own dtype.
    """

    data: Any
    dataset: str
    kind: str
    shape: tuple[int, ...]
    binned: int = 1
    index: tuple[Any, ...] | None = None
    detector: Detector | None = None
    #: Detector pixels summed (virtual images).
    pixels: int | None = None
    #: Every ``scan_step``-th scan position of each axis was used (4-D results).
    scan_step: int = 1
    #: Seconds the machine spent, and the Python that ran there.
    seconds: float = 0.0
    python: str = ""
    #: Characters of command output that crossed the network for it.
    response_chars: int = 0
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        data = f"{getattr(self.data, 'dtype', '?')} {getattr(self.data, 'shape', '?')}"
        binned = f", binned={self.binned}" if self.binned > 1 else ""
        return f"H5Image({self.kind} of {self.dataset}: {data}{binned})"


def index_request(key: Any) -> list[Any]:
    """An index as the machine reads it: integers, null for a drawn axis, "..." once."""
    items = key if isinstance(key, tuple) else (key,) if key is not None else ()
    out: list[Any] = []
    for item in items:
        if item is Ellipsis:
            out.append("...")
        elif item is None or (isinstance(item, slice) and item == slice(None)):
            out.append(None)
        elif isinstance(item, int) and not isinstance(item, bool):
            out.append(int(item))
        elif hasattr(item, "__index__") and not isinstance(item, bool):
            out.append(int(item.__index__()))
        else:
            raise H5Error(
                f"an index entry must be an integer, or ':' for the two axes drawn, not {item!r}",
                reason="bad_index",
            )
    if out.count("...") > 1:
        raise H5Error("an index may hold one '...' only", reason="bad_index")
    return out


class AsyncH5Dataset:
    """One dataset of an :class:`AsyncH5File`; ``await ds[i, j]`` is a 2-D slice."""

    def __init__(self, file: AsyncH5File, name: str) -> None:
        self.file = file
        self.name = name

    def __repr__(self) -> str:
        return f"AsyncH5Dataset({self.file.path!r}, {self.name!r})"

    def __getitem__(self, key: Any) -> Any:
        """A coroutine of the 2-D slice: integers pick, ``:`` (or ``...``) draws an axis."""
        return self.file.slice(self.name, key if isinstance(key, tuple) else (key,))

    async def mean_diffraction(self, **options: Any) -> H5Image:
        return await self.file.mean_diffraction(self.name, **options)

    async def virtual_image(self, detector: Detector, **options: Any) -> H5Image:
        return await self.file.virtual_image(self.name, detector, **options)


class AsyncH5File:
    """An HDF5 (or EMD) file on the machine; see ``docs/hdf5.md``.

    Parameters
    ----------
    machine
        The machine the file is on.
    path
        The file's path there (relative paths and ``~`` are from your home).
    python
        The Python to run there (it needs h5py and numpy). Default: the environment that
        ``sfapi-jupyter install-kernel --remote`` makes, else the machine's ``python3``.
    max_pixels, block_bytes, timeout
        Images larger than ``max_pixels`` are binned there; the machine reads at most
        ``block_bytes`` of the dataset at once; a command (or job) still running after
        ``timeout`` seconds is cancelled (None: no limit).
    job
        Run each question as a short batch job instead of a command (for large data):
        True (NERSC's debug QOS, one CPU node, 10 minutes), a dict of sbatch options merged
        over those (``{"qos": "shared", "time": "00:20:00", "account": "m1234"}``; None
        drops one) or a string of sbatch options (``"-q debug -C cpu -t 5"``). See
        ``docs/hdf5.md``.
    on_job
        Called with each question's job once it is submitted (a widget shows it).

    ``commands``, ``jobs``, ``downloads`` and ``response_chars`` count what the questions
    cost; ``last_job`` is the job of the latest question (None: none ran as a job).
    """

    def __init__(
        self,
        machine: AsyncMachine,
        path: str,
        *,
        python: str | None = None,
        max_pixels: int = MAX_PIXELS,
        block_bytes: int = BLOCK_BYTES,
        timeout: float | None = None,
        job: bool | dict[str, Any] | str | None = None,
        on_job: Callable[[AsyncJob], None] | None = None,
    ) -> None:
        if not isinstance(path, str) or not path.strip():
            raise ValueError("the file's path must be a non-empty string")
        self.machine = machine
        self.path = path
        self.python = python
        self.max_pixels = _at_least_one("max_pixels", max_pixels)
        self.block_bytes = _at_least_one("block_bytes", block_bytes)
        self.timeout = timeout
        self.job = None if job is None or job is False else job
        if self.job is not None:
            from ._job import job_directives

            job_directives(self.job)  # a bad job= raises here, before any request
        self.on_job = on_job
        self.last_job: AsyncJob | None = None
        self.commands = 0
        self.jobs = 0
        self.downloads = 0
        self.response_chars = 0
        #: Answer files of earlier jobs, removed by the next job (see ._job).
        self._stale_answers: list[str] = []

    def __repr__(self) -> str:
        return f"AsyncH5File({self.machine.name}:{self.path!r})"

    def __getitem__(self, name: str) -> AsyncH5Dataset:
        return AsyncH5Dataset(self, name)

    @property
    def python_found(self) -> str | None:
        """The Python that answered last on this machine (for this ``python=``)."""
        return self.machine.h5_pythons.get(self.python)

    async def ask(self, request: dict[str, Any]) -> tuple[dict[str, Any], Any, int]:
        """(header, image or None, output characters) of one question to the machine."""
        found = self.python_found
        pythons = (found,) if found else (self.python,) if self.python else DEFAULT_PYTHONS
        full = {
            "path": self.path,
            "max_pixels": self.max_pixels,
            "block_bytes": self.block_bytes,
            **request,
        }
        if self.job is not None:
            from ._job import run_as_job

            output, error, exit_code = await run_as_job(self, command(full, pythons))
        else:
            result = await self.machine.run(command(full, pythons), timeout=self.timeout)
            self.commands += 1
            output, error, exit_code = result.output, result.error, result.exit_code
        chars = len(output) + len(error)
        self.response_chars += chars
        try:
            header, image = parse_answer(self.machine.name, self.python, output, error, exit_code)
        except H5Error as exc:
            if exc.reason != "no_python" or not found:
                raise
            # The Python found before is gone (an environment removed): look again.
            self.machine.h5_pythons.pop(self.python, None)
            return await self.ask(request)
        if header.get("python"):
            self.machine.h5_pythons[self.python] = str(header["python"])
        return header, image, chars

    async def tree(self, max_nodes: int = 2000) -> H5Node:
        """Every group, dataset (shape, dtype, chunks, compression) and attribute, read
        there; at most ``max_nodes`` nodes (a group cut short says ``truncated``)."""
        header, _, _ = await self.ask({"op": "tree", "max_nodes": int(max_nodes)})
        return H5Node.from_dict(header["tree"])

    async def _image(
        self, kind: str, request: dict[str, Any], max_pixels: int | None, **fields: Any
    ) -> H5Image:
        if max_pixels is not None:
            request["max_pixels"] = _at_least_one("max_pixels", max_pixels)
        started = time.monotonic()
        header, image, chars = await self.ask(request)
        fields.setdefault("pixels", header.get("pixels"))
        return H5Image(
            data=image,
            dataset=str(header.get("dataset", request["dataset"])),
            kind=kind,
            shape=tuple(header.get("shape") or getattr(image, "shape", None) or ()),
            binned=int(header.get("binned", 1)),
            seconds=float(header.get("seconds", time.monotonic() - started)),
            python=str(header.get("python", "")),
            response_chars=chars,
            extra=header,
            **fields,
        )

    async def slice(
        self,
        dataset: str,
        index: Sequence[IndexItem] | None = None,
        *,
        max_pixels: int | None = None,
    ) -> H5Image:
        """A 2-D slice of an N-D dataset: ``index`` has an integer for each axis held
        fixed and None (or ``slice(None)``, or one ``...``) for the two drawn; a short index
        draws the last axes, as numpy does. Default: the last two axes, 0 for the others."""
        key = index_request(tuple(index) if index is not None else None)
        request = {"op": "slice", "dataset": dataset, "index": key or None}
        return await self._image("slice", request, max_pixels, index=tuple(key))

    async def mean_diffraction(
        self, dataset: str, *, max_pixels: int | None = None, scan_step: int = 1
    ) -> H5Image:
        """The mean diffraction pattern of a 4-D dataset (scan_y, scan_x, det_y, det_x);
        ``scan_step=k`` averages every k-th scan position of each axis only (a quick look)."""
        request = {"op": "mean", "dataset": dataset, "scan_step": _step(scan_step)}
        return await self._image("mean_diffraction", request, max_pixels, scan_step=scan_step)

    async def virtual_image(
        self,
        dataset: str,
        detector: Detector,
        *,
        max_pixels: int | None = None,
        scan_step: int = 1,
    ) -> H5Image:
        """The virtual image of a 4-D dataset for ``detector`` (:class:`BrightField` or
        :class:`AnnularDarkField`): at each scan position, the sum of the pattern's pixels
        inside the detector. ``scan_step=k`` computes it at every k-th scan position of
        each axis only, reading 1/k² of the data (a quick look while a detector moves)."""
        if not isinstance(detector, (BrightField, AnnularDarkField)):
            raise TypeError(
                f"the detector must be a BrightField or an AnnularDarkField, not {detector!r}"
            )
        request = {
            "op": "virtual",
            "dataset": dataset,
            "detector": detector.request(),
            "scan_step": _step(scan_step),
        }
        return await self._image(
            "virtual_image", request, max_pixels, detector=detector, scan_step=scan_step
        )


def _at_least_one(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}")
    return value


def _step(value: Any) -> int:
    return _at_least_one("scan_step", value)
