"""Remote directory entries (``ls``)."""

from __future__ import annotations

from ._base import Model


class RemoteEntry(Model):
    """One entry of a remote listing; ``path`` is its full path on the machine."""

    name: str
    path: str
    perms: str = ""
    hardlinks: int = 0
    user: str | None = None
    group: str | None = None
    size: float = 0
    date: str | None = None
    #: For a symlink, what it points to.
    target: str | None = None

    @property
    def is_dir(self) -> bool:
        return self.perms.startswith("d")

    @property
    def is_symlink(self) -> bool:
        return self.perms.startswith("l")

    @property
    def is_file(self) -> bool:
        return self.perms.startswith("-")
