"""One remote command per question: which Python runs the program, and what it answers.

The program (:mod:`._remote`, read as text) goes zlib-compressed and base64-encoded inside
``python -c``, with the request as one base64 JSON argument, so neither needs quoting
beyond the shell's single quotes. A small shell loop tries the candidate Pythons in turn
(the one the user named, or the remote kernel environment and then ``python3``), skipping
those that are missing or answer that they lack h5py or numpy; the first that has them
answers. So choosing the Python costs no request of its own, and the one found is kept for
the next question.
"""

from __future__ import annotations

import base64
import json
import shlex
import zlib
from functools import cache
from pathlib import Path
from typing import Any

from .._errors import H5Error

#: The environment ``sfapi-jupyter install-kernel --remote`` makes (its ``--venv``
#: default; the client may not import the CLI, ``tests/client/test_h5_unit.py`` checks
#: the two agree).
KERNEL_VENV = "~/.venvs/sfapi-jupyter"
#: Tried in this order when no ``python=`` is given.
DEFAULT_PYTHONS = (f"{KERNEL_VENV}/bin/python", "python3")
#: The exit status of the program (and of the loop) for "no h5py in this Python".
NO_H5PY = 97

# Arguments: the request, the bootstrap, then the candidate Pythons. "~/" and "$HOME/" are
# expanded here because the path arrives quoted (as a user writes it in a job script). A
# candidate with a "/" must be an executable file; one
# without is looked up on PATH, as the login shell would.
_LOOP = r"""
request=$1 boot=$2; shift 2; tried=
for given in "$@"; do
  p=$given
  case $p in
    "~/"*) p=$HOME/${p#"~/"} ;;
    '$HOME/'*) p=$HOME/${p#'$HOME/'} ;;
    '${HOME}/'*) p=$HOME/${p#'${HOME}/'} ;;
  esac
  case $p in
    */*) [ -x "$p" ] || { tried="$tried|$given: not found"; continue; } ;;
    *) command -v "$p" >/dev/null 2>&1 || { tried="$tried|$given: not on PATH"; continue; } ;;
  esac
  "$p" -c "$boot" "$request"; code=$?
  [ $code -eq 97 ] || exit $code
  tried="$tried|$given: no h5py"
done
echo "SFH5-NOPYTHON:${tried#|}"
exit 97
"""


@cache
def bootstrap() -> str:
    """``python -c`` text that unpacks and runs the remote program (about 7.5 kB)."""
    source = Path(__file__).with_name("_remote.py").read_bytes()
    blob = base64.b64encode(zlib.compress(source, 9)).decode()
    return (
        "import base64,zlib;exec(compile(zlib.decompress(base64.b64decode("
        f"'{blob}')),'sfapi_jupyter_h5','exec'))"
    )


def command(request: dict[str, Any], pythons: tuple[str, ...]) -> str:
    """The shell command that answers ``request`` with the first of ``pythons`` that has
    h5py and numpy."""
    encoded = base64.b64encode(json.dumps(request).encode()).decode()
    return f"bash -c {shlex.quote(_LOOP)} sfapi-h5 {shlex.join([encoded, bootstrap(), *pythons])}"


def no_python_message(machine: str, named: str | None, tried: str) -> str:
    """One line: what was tried and how to get a Python with h5py there."""
    if named is not None and "no h5py" not in tried:
        return (
            f"python={named!r} is not on {machine} ({tried.rpartition(': ')[2]}): check the "
            "path, or leave python= out to use the remote kernel environment or python3"
        )
    if named is not None:
        return (
            f"python={named!r} on {machine} cannot read HDF5; tried {tried}: install them "
            f"there ('{named} -m pip install h5py numpy') or pass another python= that has them"
        )
    return (
        f"No Python with h5py and numpy on {machine}; tried {tried}: run 'sfapi-jupyter "
        f"install-kernel --remote {machine}' and then '{KERNEL_VENV}/bin/python -m pip install "
        "h5py' there, or pass python= one that has them (at NERSC: the path that "
        "'module load python; which python' prints)"
    )


def parse_answer(
    machine: str, named: str | None, output: str, error: str, exit_code: int | None
) -> tuple[dict[str, Any], Any]:
    """(header, image or None) from the command's output; :class:`H5Error` for a refusal."""
    for line in output.splitlines():
        if line.startswith("SFH5:"):
            try:
                body = zlib.decompress(base64.b64decode(line[5:]))
                head, _, npy = body.partition(b"\n")
                header: dict[str, Any] = json.loads(head)
                image = _load_npy(npy) if npy and "error" not in header else None
            except (ValueError, zlib.error, EOFError):  # binascii.Error is a ValueError
                raise H5Error(
                    f"the answer from {machine} arrived cut short or garbled ({len(line)} "
                    f"characters; {error.strip()[-200:] or 'nothing on stderr'}): ask for a "
                    "smaller image (max_pixels=)",
                    reason="failed",
                ) from None
            if "error" in header:
                raise H5Error(str(header["message"]), reason=str(header["error"]))
            return header, image
    lines = output.splitlines()
    ends = [line for line in lines if line.startswith("SFH5-NOPYTHON:")]
    if ends:
        # Each Python without h5py printed its import error, in the order tried.
        why = iter(x.partition(": ")[2] for x in lines if x.startswith("SFH5-NOH5PY:"))
        tried = [
            f"{a} ({next(why, '')})".replace(" ()", "") if a.endswith(": no h5py") else a
            for a in ends[0][len("SFH5-NOPYTHON:") :].split("|")
            if a
        ]
        message = no_python_message(machine, named, "; ".join(tried) or "none")
        raise H5Error(message, reason="no_python")
    detail = (error or output).strip().splitlines()[-3:]
    raise H5Error(
        f"reading HDF5 on {machine} failed (exit status {exit_code}): " + " / ".join(detail)[:400],
        reason="failed",
    )


def _load_npy(data: bytes) -> Any:
    import io

    import numpy as np

    return np.load(io.BytesIO(data), allow_pickle=False)
