"""The tree of an HDF5 file as read on the machine: groups, datasets, links, attributes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


def _size(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def _shape(shape: tuple[int, ...] | None) -> str:
    return "x".join(map(str, shape)) if shape else "scalar"


@dataclass(frozen=True)
class H5Node:
    """A group, dataset or link of a remote HDF5 file (``machine.h5(path).tree()``).

    Datasets carry ``shape``, ``dtype``, ``chunks``, ``compression`` (and its options),
    ``fillvalue``, ``nbytes`` (logical) and ``storage_bytes`` (on disk); every node its
    ``attrs``, summarised on the machine: numbers and short text as they are, up to 8
    numbers as a list, larger arrays as ``"array 3x512 float64"``. ``tree["/a/b"]`` finds a
    node by path; ``str(tree)`` is an ``h5ls``-like listing.
    """

    path: str
    kind: str
    attrs: dict[str, Any] = field(default_factory=dict)
    children: tuple[H5Node, ...] = ()
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    chunks: tuple[int, ...] | None = None
    compression: str | None = None
    compression_opts: Any = None
    #: Every filter of its pipeline, in order (``["shuffle", "gzip"]``, ``["bitshuffle"]``).
    filters: tuple[str, ...] = ()
    fillvalue: Any = None
    nbytes: int | None = None
    storage_bytes: int | None = None
    target: str | None = None
    #: The machine stopped describing this group's members at the node limit.
    truncated: bool = False
    #: The JSON the machine sent for this node (what a viewer widget can hold as it is).
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, node: dict[str, Any]) -> H5Node:
        def tup(value: Any) -> tuple[int, ...] | None:
            return None if value is None else tuple(int(v) for v in value)

        return cls(
            path=str(node.get("path", "/")),
            kind=str(node.get("kind", "group")),
            attrs=dict(node.get("attrs") or {}),
            children=tuple(cls.from_dict(c) for c in node.get("children") or ()),
            shape=tup(node.get("shape")),
            dtype=node.get("dtype"),
            chunks=tup(node.get("chunks")),
            compression=node.get("compression"),
            compression_opts=node.get("compression_opts"),
            filters=tuple(node.get("filters") or ()),
            fillvalue=node.get("fillvalue"),
            nbytes=node.get("nbytes"),
            storage_bytes=node.get("storage_bytes"),
            target=node.get("target"),
            truncated=bool(node.get("truncated")),
            raw=node,
        )

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rpartition("/")[2] or "/"

    @property
    def ndim(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    def walk(self) -> Iterator[H5Node]:
        """This node and every node under it, depth first, in the file's order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def datasets(self) -> list[H5Node]:
        return [node for node in self.walk() if node.kind == "dataset"]

    def four_d(self) -> list[H5Node]:
        """The 4-D datasets (scan x scan x detector x detector, as 4D-STEM data are)."""
        return [node for node in self.datasets() if node.ndim == 4]

    def as_dict(self) -> dict[str, Any]:
        """The node as the machine described it (plain JSON)."""
        return self.raw

    def __getitem__(self, path: str) -> H5Node:
        base = "" if path.startswith("/") else self.path.rstrip("/")
        wanted = base + "/" + path.strip("/") if path.strip("/") else base or "/"
        for node in self.walk():
            if node.path == wanted:
                return node
        raise KeyError(f"{path}: no such group or dataset in the tree")

    def line(self) -> str:
        """One line: the name, and a dataset's dtype, shape, sizes, chunks and compression."""
        if self.kind == "group":
            return self.name.rstrip("/") + "/" + (" (more not listed)" if self.truncated else "")
        if self.kind == "link":
            return f"{self.name} -> {self.target}"
        parts = [self.name, f"{self.dtype} {_shape(self.shape)}"]
        parts.append(f"{_size(self.nbytes)} ({_size(self.storage_bytes)} stored)")
        if self.chunks:
            parts.append(f"chunks {_shape(self.chunks)}")
        if self.compression:
            opts = "" if self.compression_opts is None else f" {self.compression_opts}"
            parts.append(f"{self.compression}{opts}")
        others = [f for f in self.filters if f not in ("deflate", self.compression)]
        if others:
            parts.append("filters " + ",".join(others))
        return "  ".join(parts)

    def text(self, attrs: bool = True) -> str:
        lines: list[str] = []

        def add(node: H5Node, depth: int) -> None:
            lines.append("  " * depth + ("/" if node.path == "/" else node.line()))
            if attrs:
                lines.extend(f"{'  ' * depth}    @{k} = {v!r}" for k, v in node.attrs.items())
            for child in node.children:
                add(child, depth + 1)

        add(self, 0)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"H5Node({self.path!r}, {self.line()!r})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text())
