"""Batch scripts before submit: dedent, check ``#!``, read the ``#SBATCH`` lines."""

from __future__ import annotations

import textwrap


def prepare_script(script: str) -> tuple[str, list[str]]:
    """The script as it will be submitted, and warnings about it."""
    text = textwrap.dedent(script).lstrip("\n")
    if not text.endswith("\n"):
        text += "\n"
    return text, []
