"""An HDF5/EMD file looked at where it lies: :func:`h5_view` and its controller.

Every question (the tree, a slice, the mean diffraction pattern, a virtual image) is one
command on the machine through ``machine.aio.h5`` (docs/hdf5.md), run on the client's loop.
Per image role the last request wins: a new slider position or detector cancels the
question still running for the one before (which cancels its command there). While the
detector is dragged the virtual image is asked with ``scan_step`` (a quick look at every
k-th scan position); when it is let go, in full. Images are drawn here as viridis PNGs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import math
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np

from ..client import AnnularDarkField, AsyncJob, BrightField, Client, H5Error, Machine, SfApiError
from ..client.h5 import JOB_NAME, Detector, H5Image
from ..client.models import JobInfo
from ..widgets import JobCard
from ..widgets.h5_viewer import H5Viewer, find_node
from ._common import resolve_machine
from .controllers import Controller, call
from .previews import VIRIDIS_LUT, png_bytes

#: Scan sizes from which a moving detector asks for a quick look (every QUICK_STEP-th
#: scan position of each axis: 1/16 of the data) before the full image on release.
QUICK_FROM, QUICK_STEP = 64, 4
#: The image role a question is for, inside its coroutine (so its job is shown as that).
_ROLE: contextvars.ContextVar[str] = contextvars.ContextVar("h5_role", default="tree")


def message_of(error: BaseException) -> str:
    if isinstance(error, SfApiError):
        return str(error.message) if error.message else str(error)
    return str(error) or type(error).__name__


def to_png(data: Any, *, log: bool = False) -> tuple[dict[str, Any], bytes]:
    """A 2-D array as a viridis PNG, with its value range (``log``: log(1 + x - min))."""
    plane = np.asarray(data)
    if plane.ndim != 2:
        plane = plane.reshape(1, -1) if plane.ndim < 2 else plane.reshape(-1, plane.shape[-1])
    if np.iscomplexobj(plane):
        plane = np.abs(plane)
    plane = plane.astype(np.float64, copy=False)
    finite = np.isfinite(plane)
    low = float(plane[finite].min()) if finite.any() else 0.0
    high = float(plane[finite].max()) if finite.any() else 0.0
    shown = np.log1p(np.where(finite, plane - low, 0.0)) if log else plane - low
    top = float(shown[finite].max()) if finite.any() else 0.0
    scaled = np.zeros(plane.shape, np.uint8)
    scaled[finite] = np.clip(shown[finite] / (top or 1.0) * 255, 0, 255).astype(np.uint8)
    rgb = VIRIDIS_LUT[scaled]
    rgb[~finite] = (128, 128, 128)
    return {"vmin": low, "vmax": high, "log": log, "pixels_shape": list(plane.shape)}, png_bytes(
        rgb
    )


def detector_of(spec: dict[str, Any]) -> Detector:
    """A detector from the view's dict (full-pattern pixels); ValueError when it is not one."""
    try:
        row, col = float(spec["row"]), float(spec["col"])
        if spec.get("kind") == "adf":
            return AnnularDarkField(
                row, col, inner=float(spec["inner"]), outer=float(spec["outer"])
            )
        if spec.get("kind") == "bf":
            return BrightField(row, col, radius=float(spec["radius"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a detector needs row, col and its radii ({exc} missing)") from None
    raise ValueError(f"a detector is 'bf' (disc) or 'adf' (ring), not {spec.get('kind')!r}")


def first_detector(pattern: H5Image) -> dict[str, Any]:
    """A disc over the pattern's brightest spot: centred on the pixels above half its peak
    (a bright-field disc) and as large as their area, in the full pattern's pixels."""
    data = np.nan_to_num(np.asarray(pattern.data, np.float64))
    f = pattern.binned
    low, high = float(data.min()), float(data.max())
    bright = data >= low + (high - low) / 2 if high > low else data == high
    rows, cols = np.nonzero(bright)
    # The centre of a pixel block of the binned image, in full-pattern pixels.
    row, col = (float(rows.mean()) + 0.5) * f - 0.5, (float(cols.mean()) + 0.5) * f - 0.5
    radius = max(2.0, math.sqrt(len(rows) / math.pi) * f)
    return {"kind": "bf", "row": round(row, 1), "col": round(col, 1), "radius": round(radius, 1)}


class H5Session(Controller[H5Viewer]):
    """Answers one ``H5Viewer``: reads the tree, then the images the user asks for."""

    def __init__(self, client: Client, machine: Machine, widget: H5Viewer, **options: Any) -> None:
        super().__init__(client, widget)
        job = options.pop("job", None)
        on_job = self._on_job if job not in (None, False) else None
        self.h5 = machine.aio.h5(widget.path, job=job, on_job=on_job, **options)
        #: The card of the questions' jobs (``job=``), made with the first job's id: it
        #: follows the latest one.
        self.card: JobCard | None = None
        self.job_mode = on_job is not None
        self._job: AsyncJob | None = None
        self._latest: dict[str, concurrent.futures.Future[Any]] = {}
        self._scan: tuple[int, ...] = ()
        #: The last image of each role shown (its numbers, ``H5Image.data``).
        self.images: dict[str, H5Image] = {}
        for kind, callback in (
            ("select", self._on_select),
            ("slice", self._on_slice),
            ("detector", self._on_detector),
        ):
            self.answer(kind, callback)

    def __repr__(self) -> str:
        return f"<H5Session {self.h5!r}>"

    def _begin(self) -> None:
        self._ask("tree", self.h5.tree(), self._tree_read)

    def stop(self) -> None:
        super().stop()
        for future in self._latest.values():
            future.cancel()

    # -- requests ------------------------------------------------------------------------------
    def _ask(self, role: str, coro: Coroutine[Any, Any, Any], then: Callable[[Any], None]) -> None:
        """Run ``coro`` for ``role``; the one still running for it is cancelled (last wins)."""
        stale = self._latest.get(role)
        if stale is not None:
            stale.cancel()

        async def tagged() -> Any:
            _ROLE.set(role)
            return await coro

        future = self.client.loop_thread.submit(tagged())
        self._latest[role] = future
        self.widget_call("set_busy", role, True)

        def landed(result: Any) -> None:
            if self._latest.get(role) is not future:
                return  # a newer request for the same image is on its way
            self._latest.pop(role, None)
            widget = self.widget
            if widget is None:
                return
            widget.set_busy(role, False)
            if isinstance(result, BaseException):
                widget.set_message(message_of(result), "error")
            else:
                if widget.message_level == "error":
                    widget.set_message("")
                then(result)

        def done(f: concurrent.futures.Future[Any]) -> None:
            if not f.cancelled():
                call(landed, f.exception() or f.result())

        future.add_done_callback(done)

    async def _image(self, role: str, coro: Coroutine[Any, Any, H5Image]) -> Any:
        image = await coro
        info, png = await asyncio.to_thread(to_png, image.data, log=role == "pattern")
        facts = {
            "dataset": image.dataset,
            "shape": list(image.shape),
            "binned": image.binned,
            "scan_step": image.scan_step,
            "seconds": round(image.seconds, 3),
            "response_chars": image.response_chars,
            "pixels": image.pixels,
            "index": list(image.index or []),
        }
        return image, {**facts, **info}, png

    def _show(self, role: str) -> Callable[[Any], None]:
        def shown(result: Any) -> None:
            image, info, png = result
            self.images[role] = image
            if self.widget is not None:
                self.widget.show_image(role, info, png)
            if role == "pattern":
                self._pattern_ready(image)

        return shown

    # -- questions run as jobs (job=) ------------------------------------------------------------
    def _on_job(self, job: AsyncJob) -> None:
        """A question's job was submitted (on the client's loop): follow it until it ends, in
        the status line, the ``job`` trait and the card. The shared watcher polls it: no
        request of its own."""
        role, self._job = _ROLE.get(), job

        def show() -> None:
            facts: dict[str, Any] = {"role": role, "jobid": job.jobid, "state": job.state.value}
            facts.update(reason=job.reason or "", terminal=job.is_terminal)
            self.widget_call("show_job", facts)
            if job.info is not None:
                call(self._card_follow, job.jobid, job.info)

        def on_event(event: Any) -> None:
            if event.jobid == job.jobid:
                show()
                if event.job.is_terminal:
                    unsubscribe()

        unsubscribe = job.machine.watcher.subscribe(on_event)
        show()

    def _card_follow(self, jobid: str, info: JobInfo) -> None:
        card, latest, widget = self.card, self._job, self.widget
        if latest is None or latest.jobid != jobid or widget is None:
            return  # a newer question's job has the card: an older one's word is not wanted
        if card is None:
            card = self.card = JobCard(jobid=jobid, machine=widget.machine, name=JOB_NAME)
            self._detach.append(card.on("cancel", self._cancel_job))
            widget.job_card = card
            if widget.on_job_card is not None:
                widget.on_job_card(card)
        elif card.jobid != jobid:
            card.start_over(jobid)
        card.set_job(info)

    def _cancel_job(self, *_: Any) -> None:
        job = self._job
        if job is not None and not job.is_terminal:
            self.run_soon(job.cancel(), lambda _result: None)

    # -- the tree and a dataset ----------------------------------------------------------------
    def _tree_read(self, tree: Any) -> None:
        widget = self.widget
        if widget is None:
            return
        widget.show_tree(tree.as_dict())
        four_d = tree.four_d()
        if four_d:
            self.select(four_d[0].path)

    def select(self, dataset: str) -> None:
        """Show ``dataset``: its mean pattern and a virtual image if 4-D, else a slice."""
        widget = self.widget
        if widget is None:
            return
        # A path the tree does not list is still asked: the machine's answer says what the
        # file holds (its datasets), which is the message the user needs.
        shape = list((find_node(widget.tree, dataset) or {}).get("shape") or [])
        for role in ("slice", "pattern", "virtual"):  # the last dataset's images: not wanted
            stale = self._latest.pop(role, None)
            if stale is not None:
                stale.cancel()
                widget.set_busy(role, False)
        if len(shape) == 4:
            self._scan = tuple(shape[:2])
            self.images.clear()
            widget.detector = {}
            widget.show_dataset(dataset, "4d")
            self._ask(
                "pattern",
                self._image("pattern", self.h5.mean_diffraction(dataset)),
                self._show("pattern"),
            )
            return
        index: list[Any] = [0] * max(0, len(shape) - 2) + [None] * min(2, len(shape))
        self.images.clear()
        widget.show_dataset(dataset, "slice", index)
        self.slice(index)

    def slice(self, index: list[Any]) -> None:
        widget = self.widget
        if widget is None:
            return
        widget.index = list(index)
        # Fewer than two axes (a 1-D or scalar dataset): the machine sends it whole.
        coro = self.h5.slice(widget.dataset, index if len(index) >= 2 else None)
        self._ask("slice", self._image("slice", coro), self._show("slice"))

    def _pattern_ready(self, pattern: H5Image) -> None:
        if self.widget is not None and not self.widget.detector:
            self.widget.detector = first_detector(pattern)
        if self.widget is not None:
            self.virtual(self.widget.detector, final=True)

    def virtual(self, spec: dict[str, Any], *, final: bool) -> None:
        """The virtual image of ``spec``: a quick look while it moves, in full when let go."""
        widget = self.widget
        if widget is None:
            return
        try:
            detector = detector_of(spec)
        except ValueError as exc:
            widget.set_message(f"No virtual image: {exc}", "error")
            return
        widget.detector = dict(spec)
        if not final and self.job_mode:
            return  # a batch job per position of a moving detector: only where it is let go
        step = QUICK_STEP if not final and max(self._scan or (0,)) >= QUICK_FROM else 1
        coro = self.h5.virtual_image(widget.dataset, detector, scan_step=step)
        self._ask("virtual", self._image("virtual", coro), self._show("virtual"))

    # -- the view's actions --------------------------------------------------------------------
    def _on_select(self, msg: dict[str, Any]) -> None:
        self.select(str(msg.get("dataset") or ""))

    def _on_slice(self, msg: dict[str, Any]) -> None:
        raw = msg.get("index")
        index = [int(i) if isinstance(i, (int, float)) else None for i in raw or []]
        self.slice(index)

    def _on_detector(self, msg: dict[str, Any]) -> None:
        spec = msg.get("detector")
        self.virtual(spec if isinstance(spec, dict) else {}, final=bool(msg.get("final", True)))


def h5_view(
    path: str,
    machine: str | Machine | None = None,
    *,
    python: str | None = None,
    max_pixels: int | None = None,
    job: bool | dict[str, Any] | str | None = None,
    client: Client | None = None,
) -> H5Viewer:
    """An ``H5Viewer`` of the HDF5 or EMD file ``path`` on the machine, read where it lies.

    The tree comes first; a 4-D dataset (the first is opened) shows its mean diffraction
    pattern and the virtual image of a detector you drag on it; any other dataset a 2-D
    slice with a slider per other axis. ``python``: the Python with h5py and numpy to run
    there (see docs/hdf5.md for the default). ``job``: run each question as a short batch
    job (True, or sbatch options as a dict or string; see ``machine.h5``): the status line
    says which job and its state, and ``viewer.job_card`` is a ``JobCard`` following it (made
    with the first job; ``viewer.on_job_card(card)`` is called then).

    Examples
    --------
    >>> viewer = h5_view("/pscratch/sd/e/elvis/scan_0042.h5")       # doctest: +SKIP
    """
    client, handle = resolve_machine(client, machine)
    widget = H5Viewer(machine=handle.name, path=str(path))
    options: dict[str, Any] = {"python": python, "job": job}
    if max_pixels is not None:
        options["max_pixels"] = max_pixels
    H5Session(client, handle, widget, **options).start()
    return widget


__all__ = ["H5Error", "H5Session", "h5_view"]
