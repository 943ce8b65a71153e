"""What one batch script may cost: Slurm's own size limits, and directives split in linear time.

A facility shared by many users must not let one script stall it. Slurm bounds a script in
two places, and the facility applies the same bounds with the same message (measured on
Slurm 22.05, ``sbatch`` of a script over each bound):

* slurmctld refuses a batch script over ``max_script_size`` (SchedulerParameters, 4 MiB by
  default; ``man slurm.conf``): ``Pathname of a file, directory or other parameter too long``.
* slurmctld refuses a job whose name, comment, account, … is longer than its fixed bound
  (1024 characters; 4096 for paths and ``--array``; 128 KiB for ``--dependency``), with the
  same message.

The script is checked before it is read whole or parsed, and a directive line is split by
:func:`split_directive` in time linear in its length (``shlex`` builds each word one
character at a time, which took 24 s for one 1 MB ``#SBATCH`` line).
"""

from __future__ import annotations

import re
from typing import Any

from .models import SbatchError

#: Slurm's default ``max_script_size``: a script of more bytes is refused.
MAX_SCRIPT_BYTES = 4 * 1024 * 1024
#: Slurm's MAXPATHLEN bound on output, error and working directory paths.
MAX_PATH = 4096
#: slurmctld's bound on each string field of a job (``_test_job_desc_fields``), by the
#: :class:`~.sbatch.BatchOptions` attribute that holds it.
FIELD_LIMITS: dict[str, int] = {
    "account": 1024,
    "comment": 1024,
    "constraint": 1024,
    "job_name": 1024,
    "licenses": 1024,
    "mail_user": 1024,
    "partition": 1024,
    "qos": 1024,
    "output": MAX_PATH,
    "error": MAX_PATH,
    "chdir": MAX_PATH,
    "dependency": 128 * 1024,
}
#: ``--array`` is bounded too (4096), but BatchOptions keeps it as an ArraySpec.
MAX_ARRAY_TEXT = 4096

TOO_LONG = (
    "sbatch: error: Batch job submission failed: "
    "Pathname of a file, directory or other parameter too long"
)


def script_too_large(size: int, limit: int = MAX_SCRIPT_BYTES) -> SbatchError | None:
    """Slurm's refusal of a script of ``size`` bytes, with what to do, or None if it fits."""
    if size <= limit:
        return None
    return SbatchError(
        f"{TOO_LONG}\n(the batch script is {size} bytes; Slurm's limit, max_script_size, is "
        f"{limit} bytes: keep large data in files the script reads)"
    )


def check_field_lengths(options: Any) -> None:
    """Refuse, as slurmctld does, a job whose string fields are over Slurm's bounds."""
    for name, limit in FIELD_LIMITS.items():
        value = getattr(options, name, None)
        if isinstance(value, str) and len(value) > limit:
            raise SbatchError(
                f"{TOO_LONG}\n(--{name.replace('_', '-')} is {len(value)} characters; "
                f"Slurm allows {limit})"
            )
    array = getattr(options, "array", None)
    if array is not None and len(array.text) > MAX_ARRAY_TEXT:
        raise SbatchError(TOO_LONG)


#: One piece of a directive line, as a POSIX shell (and ``shlex.split(comments=True)``)
#: reads it: blanks, a plain run, a single- or double-quoted string, an escaped character,
#: or ``#`` starting a comment. Each alternative is one regular-expression step, so the
#: whole line costs time linear in its length.
_PIECE = re.compile(
    r"""(?P<blank>[ \t\r\n]+)
      | (?P<plain>[^ \t\r\n'"\\\#]+)
      | '(?P<single>[^']*)'
      | "(?P<double>[^"\\]*(?:\\.[^"\\]*)*)"
      | \\(?P<escaped>.)
      | (?P<comment>\#)""",
    re.VERBOSE | re.DOTALL,
)
_DOUBLE_ESCAPE = re.compile(r'\\([\\"])')


def split_directive(text: str) -> list[str] | None:
    """The words of ``text`` as ``shlex.split(text, comments=True)`` gives them, in linear
    time; None if a quote is not closed or the text ends in a lone backslash."""
    words: list[str] = []
    word: list[str] = []
    in_word = False
    position, end = 0, len(text)
    while position < end:
        match = _PIECE.match(text, position)
        if match is None:
            return None  # an unclosed quote or a trailing backslash
        position = match.end()
        kind = match.lastgroup
        if kind == "blank" or kind == "comment":
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
            if kind == "comment":
                return words
            continue
        in_word = True
        if kind == "double":
            word.append(_DOUBLE_ESCAPE.sub(r"\1", match["double"]))
        else:
            word.append(match[kind or "plain"])
    if in_word:
        words.append("".join(word))
    return words
