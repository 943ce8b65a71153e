"""``H5Viewer``: an HDF5 or EMD file on a machine, looked at where it lies.

The tree (groups, datasets with shape, dtype, chunks, compression, attributes) is a synced
trait; images (a 2-D slice, the mean diffraction pattern of a 4-D dataset, its virtual image)
travel as ``image`` messages with a PNG in a binary buffer, made on the kernel side from
what the machine computed. What the user does comes back as actions that the notebook layer
(:mod:`sfapi_jupyter.notebook.h5_viewer`) answers: ``select`` (a dataset), ``slice`` (the
index of the other axes), ``detector`` (a bright-field disc or an annular dark-field ring
drawn on the pattern, in the full pattern's pixels).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from html import escape
from typing import Any

import traitlets as t

from ._base import MessageMixin, SfWidget
from ._static import css, esm
from .support import static_html

#: The image roles a view draws, and what each is.
ROLES = ("slice", "pattern", "virtual")
#: Tree lines kept in the static summary.
SUMMARY_NODES = 60


def tree_lines(node: dict[str, Any], depth: int = 0) -> list[str]:
    """An h5ls-like listing of a tree dict: one line per node, indented by depth."""
    kind = node.get("kind")
    name = node.get("path", "/") if depth == 0 else str(node.get("path", "")).rsplit("/", 1)[-1]
    if kind == "dataset":
        shape = "x".join(str(n) for n in node.get("shape") or []) or "scalar"
        extra = f" {node.get('compression')}" if node.get("compression") else ""
        line = f"{name}  {shape} {node.get('dtype', '')}{extra}"
    elif kind == "link":
        line = f"{name} → {node.get('target', '')}"
    else:
        line = name.rstrip("/") + "/"
    lines = ["  " * depth + line]
    for child in node.get("children") or []:
        lines.extend(tree_lines(child, depth + 1))
    return lines


def find_node(node: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The node of a tree dict at ``path`` (None when the tree has none there)."""
    if node.get("path") == path:
        return node
    for child in node.get("children") or []:
        found = find_node(child, path)
        if found is not None:
            return found
    return None


class H5Viewer(MessageMixin, SfWidget):
    """The tree of a remote HDF5/EMD file, a slice view and a 4D-STEM view.

    Examples
    --------
    >>> viewer = H5Viewer(machine="perlmutter", path="/pscratch/sd/e/elvis/scan.h5")
    >>> viewer.show_tree({"path": "/", "kind": "group", "attrs": {}, "children": [
    ...     {"path": "/data", "kind": "dataset", "shape": [4, 4, 8, 8], "dtype": "uint16",
    ...      "attrs": {}}]})
    >>> viewer.datasets
    ['/data']
    """

    #: Each callback is called with the view's message (a dict with ``type`` and the rest).
    actions = {
        "select": "callback(message) to show the dataset message['dataset']",
        "slice": "callback(message) for the slice at message['index'] (None at drawn axes)",
        "detector": "callback(message) for the virtual image of message['detector'] "
        "(kind bf/adf, row, col, radius or inner/outer); message['final'] when let go",
    }

    _esm = esm("h5_viewer")
    _css = css("h5_viewer")

    machine = t.Unicode("").tag(sync=True)
    """The machine the file is on. - Type: str"""
    path = t.Unicode("").tag(sync=True)
    """The file's path there. - Type: str"""
    tree = t.Dict().tag(sync=True)
    """The file's tree as the machine sent it (``H5Node.as_dict()``); empty until read."""
    dataset = t.Unicode("").tag(sync=True)
    """The dataset shown. - Type: str"""
    mode = t.Unicode("").tag(sync=True)
    """``slice`` (any N-D dataset), ``4d`` (pattern and virtual image) or ``""``."""
    index: t.List[Any] = t.List().tag(sync=True)
    """The slice shown: an integer per axis held, None at the two drawn. - Type: list"""
    detector = t.Dict().tag(sync=True)
    """The detector of the virtual image: ``kind`` (bf/adf), ``row``, ``col``, ``radius``
    or ``inner``/``outer``, in the full pattern's pixels. - Type: dict"""
    busy = t.List(t.Unicode()).tag(sync=True)
    """The images being computed on the machine (roles). - Type: list[str]"""
    job = t.Dict().tag(sync=True)
    """The batch job of the latest question (``job=``): ``role``, ``jobid``, ``state``,
    ``reason``, ``terminal``; empty when questions run as commands. - Type: dict"""

    def __init__(self, *, machine: str, path: str) -> None:
        super().__init__(machine=machine, path=path)
        self._images: dict[str, tuple[dict[str, Any], bytes]] = {}
        #: The ``JobCard`` of the questions' jobs (``job=``), made with the first job.
        self.job_card: Any = None
        #: Called with that card when it is made (``%sfh5 --job`` shows it above the viewer).
        self.on_job_card: Callable[[Any], None] | None = None

    # -- feeding --------------------------------------------------------------------------------
    def show_tree(self, tree: dict[str, Any]) -> None:
        self.tree = tree

    def show_dataset(self, dataset: str, mode: str, index: list[Any] | None = None) -> None:
        """Start showing ``dataset`` (the images of the one before are dropped)."""
        self._images.clear()
        with self.hold_sync():
            self.dataset = dataset
            self.mode = mode
            self.index = list(index or [])
        self._send_msg("clear")

    def show_image(self, role: str, info: dict[str, Any], png: bytes) -> None:
        """Show one image (``role`` one of :data:`ROLES`), ``info`` saying how it was made."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
        self._images[role] = ({"type": "image", "role": role, **info}, png)
        self.send(self._images[role][0], buffers=[png])

    def show_job(self, job: dict[str, Any]) -> None:
        """The latest question's job: in ``job`` and, until it has answered, the status line
        (``Virtual image: job 123 on perlmutter PENDING (Priority)``)."""
        self.job = dict(job)
        what = {"virtual": "Virtual image", "pattern": "Mean pattern", "slice": "Slice"}.get(
            str(job.get("role")), "Tree"
        )
        reason = job.get("reason") or ""
        text = f"{what}: job {job.get('jobid')} on {self.machine} {job.get('state')}"
        text += f" ({reason})" if reason and reason != "None" else ""
        if not job.get("terminal"):
            self.set_message(text, "info")
        elif self.message_level == "info":
            self.set_message("")  # it answered (or its error follows)

    def set_busy(self, role: str, busy: bool) -> None:
        now = [r for r in self.busy if r != role]
        self.busy = [*now, role] if busy else now

    @property
    def datasets(self) -> list[str]:
        """Every dataset of the tree, in tree order."""

        def walk(node: dict[str, Any]) -> list[str]:
            own = [str(node["path"])] if node.get("kind") == "dataset" else []
            return own + [p for child in node.get("children") or [] for p in walk(child)]

        return walk(self.tree) if self.tree else []

    def image(self, role: str) -> tuple[dict[str, Any], bytes] | None:
        """The last image of ``role`` shown: (info, PNG bytes), or None."""
        return self._images.get(role)

    # -- protocol -------------------------------------------------------------------------------
    def _on_snapshot_request(self, _content: dict[str, Any]) -> None:
        super()._on_snapshot_request(_content)
        for info, png in self._images.values():
            self.send(info, buffers=[png])

    # -- static ---------------------------------------------------------------------------------
    def summary_text(self) -> str:
        shown = f", showing {self.dataset}" if self.dataset else ""
        return f"H5Viewer {self.machine}:{self.path} ({len(self.datasets)} datasets{shown})"

    def summary_html(self) -> str:
        head = static_html.heading(
            static_html.strong(f"HDF5 on {self.machine}"),
            static_html.muted(self.path, mono=True),
        )
        lines = tree_lines(self.tree) if self.tree else ["(tree not read yet)"]
        if len(lines) > SUMMARY_NODES:
            lines = [*lines[:SUMMARY_NODES], f"… and {len(lines) - SUMMARY_NODES} more"]
        body = static_html.pre(lines, label="tree")
        role = next((r for r in ("virtual", "slice", "pattern") if r in self._images), "")
        if role:
            info, png = self._images[role]
            caption = f"{role} of {info.get('dataset', self.dataset)}"
            src = "data:image/png;base64," + base64.b64encode(png).decode()
            body += (
                f'<div style="margin-top:6px">{static_html.muted(caption)}<br>'
                f'<img alt="{escape(caption)}" src="{src}" '
                'style="max-width:320px;image-rendering:pixelated"></div>'
            )
        return static_html.box(
            head + body + static_html.message(self.message, self.message_level), kind="h5-viewer"
        )
