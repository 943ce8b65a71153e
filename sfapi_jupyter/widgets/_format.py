"""Only for ``_static.py`` (which the front-end build work owns): the palette and times live
in :mod:`.support.formatting`. Remove this module once ``_static.py`` imports from there."""

from __future__ import annotations

from .support.formatting import MESSAGE_COLOURS, tint

__all__ = ["MESSAGE_COLOURS", "tint"]
