"""Where the built front end lives, and what to do when it is not there.

The bundles are built by ``npm --prefix js run build`` (hatch-jupyter-builder runs it for
``pip install`` and ``pip wheel``) into ``static/``, which is not committed. A checkout that
never ran the build still imports: each widget then gets a tiny inline module that says in
the notebook what is missing and how to fix it, and one warning is raised at import.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

from .support.formatting import MESSAGE_COLOURS, tint

STATIC_DIR = Path(__file__).parent / "static"
#: A class statement with ``SfWidget`` among its bases (``_base.SfWidget`` too): a widget.
_WIDGET_CLASS = re.compile(r"^class \w+\([^)]*\bSfWidget\b", re.MULTILINE)


def widget_modules(package: Path = Path(__file__).parent) -> tuple[str, ...]:
    """The modules of ``package`` that define a widget (a class deriving from ``SfWidget``).

    Read from the source, not imported (this module is imported by the widget modules
    themselves), with a pattern rather than a parse: it runs when the widgets are imported.
    Private modules (``_base``, ...), packages (``support/``) and any module without a
    widget class are left out, wherever the helpers live.
    """
    return tuple(
        path.stem
        for path in sorted(package.glob("*.py"))
        if not path.stem.startswith("_") and _WIDGET_CLASS.search(path.read_text(encoding="utf-8"))
    )


#: One bundle per widget module: ``widgets/job_card.py`` ↔ ``js/src/job_card/`` (its
#: ``index.ts`` and ``style.css``) ↔ ``static/job_card.js`` and ``static/job_card.css``. The
#: list is derived from the modules, never written by hand.
BUNDLES = widget_modules()

# the note is a warning: the widget works once the bundle is built
_WARNING = MESSAGE_COLOURS["warning"]
MISSING_HELP = (
    "The sfapi_jupyter widget front end is not built ({missing} missing in {static}). "
    "In a source checkout run `npm --prefix js run build` (or reinstall with "
    "`pip install -e .`, which builds it); otherwise reinstall sfapi_jupyter."
)


class BundleMissingWarning(UserWarning):
    """The esbuild bundle of a widget is missing; the widget shows a fix-it note instead."""


def missing_bundles(static: Path = STATIC_DIR) -> list[str]:
    """Names of the files of the built front end that are not there."""
    names = [f"{name}{ext}" for name in BUNDLES for ext in (".js", ".css")]
    return [name for name in names if not (static / name).is_file()]


def _fallback_esm(message: str) -> str:
    # A module anywidget can load: it draws the fix-it note where the widget would be.
    return (
        "export default { render({ el }) {"
        " const d = document.createElement('div');"
        " d.setAttribute('data-testid', 'bundle-missing');"
        f" d.style.cssText = 'padding:8px 12px;border-left:4px solid {_WARNING};"
        f"font:13px system-ui,sans-serif;background:{tint(_WARNING, 0.08)}';"
        f" d.textContent = {json.dumps(message)};"
        " el.appendChild(d); } };\n"
    )


def esm(name: str, static: Path = STATIC_DIR) -> Path | str:
    """The bundle of widget ``name`` if built, else an inline module explaining the fix."""
    path = static / f"{name}.js"
    if path.is_file():
        return path
    return _fallback_esm(MISSING_HELP.format(missing=path.name, static=static))


def css(name: str, static: Path = STATIC_DIR) -> Path | str:
    """The stylesheet of widget ``name`` if built, else nothing (the fallback is self-styled)."""
    path = static / f"{name}.css"
    return path if path.is_file() else ""


def warn_if_missing(static: Path = STATIC_DIR) -> list[str]:
    """Warn once (at import) when the front end is not built; return what is missing."""
    missing = missing_bundles(static)
    if missing:
        message = MISSING_HELP.format(missing=", ".join(missing), static=static)
        warnings.warn(message, BundleMissingWarning, stacklevel=3)
    return missing
