"""``H5File``: the blocking handle on a remote HDF5 file (see :mod:`.h5`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .h5 import AsyncH5File, Detector, H5Image, H5Node

if TYPE_CHECKING:
    from ._sync import Client, Job
    from .resources.jobs import AsyncJob


class H5Dataset:
    """One dataset of an :class:`H5File`; ``ds[i, j]`` is a 2-D slice (an :class:`H5Image`)."""

    def __init__(self, file: H5File, name: str) -> None:
        self.file = file
        self.name = name

    def __repr__(self) -> str:
        return f"H5Dataset({self.file.path!r}, {self.name!r})"

    def __getitem__(self, key: Any) -> H5Image:
        return self.file.slice(self.name, key if isinstance(key, tuple) else (key,))

    def mean_diffraction(self, **options: Any) -> H5Image:
        return self.file.mean_diffraction(self.name, **options)

    def virtual_image(self, detector: Detector, **options: Any) -> H5Image:
        return self.file.virtual_image(self.name, detector, **options)


class H5File:
    """A blocking handle on an HDF5 file on the machine; see :class:`AsyncH5File`.

    >>> h5 = client.compute("perlmutter").h5("scan.h5")                 # doctest: +SKIP
    >>> print(h5.tree())                                                 # doctest: +SKIP
    >>> image = h5.virtual_image("/data", BrightField(128, 128, 20))     # doctest: +SKIP

    With ``job=True`` (or sbatch options) each question runs as a short batch job:

    >>> big = client.compute("perlmutter").h5("scan.h5", job={"qos": "shared"})  # doctest: +SKIP
    >>> image = big.virtual_image("/data", BrightField(128, 128, 20))    # doctest: +SKIP
    >>> big.last_job.jobid                                               # doctest: +SKIP
    """

    def __init__(
        self, client: Client, file: AsyncH5File, wrap_job: Callable[[AsyncJob], Job]
    ) -> None:
        self._client = client
        self.aio = file
        self._wrap_job = wrap_job

    def __repr__(self) -> str:
        return repr(self.aio).replace("AsyncH5File", "H5File", 1)

    def __getitem__(self, name: str) -> H5Dataset:
        return H5Dataset(self, name)

    @property
    def path(self) -> str:
        return self.aio.path

    @property
    def python_found(self) -> str | None:
        return self.aio.python_found

    @property
    def commands(self) -> int:
        return self.aio.commands

    @property
    def response_chars(self) -> int:
        return self.aio.response_chars

    @property
    def jobs(self) -> int:
        """Questions run as batch jobs (``job=``)."""
        return self.aio.jobs

    @property
    def downloads(self) -> int:
        return self.aio.downloads

    @property
    def last_job(self) -> Job | None:
        """The job of the latest question (``job=``); None when none ran as a job."""
        job = self.aio.last_job
        return None if job is None else self._wrap_job(job)

    def tree(self, max_nodes: int = 2000) -> H5Node:
        return self._client._run(self.aio.tree(max_nodes))

    def slice(
        self, dataset: str, index: Sequence[Any] | None = None, *, max_pixels: int | None = None
    ) -> H5Image:
        return self._client._run(self.aio.slice(dataset, index, max_pixels=max_pixels))

    def mean_diffraction(
        self, dataset: str, *, max_pixels: int | None = None, scan_step: int = 1
    ) -> H5Image:
        return self._client._run(
            self.aio.mean_diffraction(dataset, max_pixels=max_pixels, scan_step=scan_step)
        )

    def virtual_image(
        self,
        dataset: str,
        detector: Detector,
        *,
        max_pixels: int | None = None,
        scan_step: int = 1,
    ) -> H5Image:
        return self._client._run(
            self.aio.virtual_image(dataset, detector, max_pixels=max_pixels, scan_step=scan_step)
        )
