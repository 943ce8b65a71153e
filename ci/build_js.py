"""The package build's one hatch-jupyter-builder hook: both JavaScript builds, one after the other.

hatch allows a single ``jupyter-builder`` hook, and the two front ends are separate npm
projects with their own lockfiles: ``js/`` (the anywidget bundles, esbuild →
``sfapi_jupyter/widgets/static/``) and ``labextension/`` (the NERSC side panel, the
JupyterLab builder → ``sfapi_jupyter/labextension/``). Each is hatch-jupyter-builder's own
``npm_builder``; the build-kwargs of pyproject.toml are the widgets', plus
``labextension_path``. ``HATCH_JUPYTER_BUILDER_SKIP_NPM=1`` skips both, as it does one.
"""

from __future__ import annotations

from typing import Any

from hatch_jupyter_builder import npm_builder


def build(
    target_name: str, version: str, labextension_path: str = "labextension", **widget_kwargs: Any
) -> None:
    npm_builder(target_name, version, **widget_kwargs)
    # The panel is always rebuilt (a few seconds): a stale labextension must never ship.
    npm_builder(
        target_name,
        version,
        path=labextension_path,
        build_cmd="build",
        npm=widget_kwargs.get("npm", "npm"),
    )
