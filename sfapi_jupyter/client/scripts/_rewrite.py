"""Changing one ``#SBATCH`` option of a script in place, as a person would edit it.

:func:`set_directive` keeps everything else byte for byte: the option's spelling
(``-N 2``, ``--nodes=2``, ``-N2``), the other options of its line, comments, indentation.
A new option goes on its own line after the last ``#SBATCH`` line of the header; an empty
value removes the option (and its line, if it was alone there).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from ._directives import _KIND, _SHORT, _long_name, normalise, scan

_TOKEN = re.compile(r"""(?:[^\s"'#]|"[^"]*"|'[^']*')+|#.*""")
#: How a new option is written: NERSC's documentation uses these short forms.
SHORT_FORMS = {
    "job-name": "-J",
    "account": "-A",
    "qos": "-q",
    "constraint": "-C",
    "nodes": "-N",
    "time": "-t",
}


@dataclass
class _Option:
    name: str
    value: str
    start: int  # span in the line of the whole option (its tokens)
    end: int
    value_start: int  # span of the value (empty span for a flag)
    value_end: int


def _options_of(line: str) -> list[_Option]:
    """The options of one ``#SBATCH`` line with where they are; [] if it cannot be read."""
    at = line.find("#SBATCH")
    tokens = []
    for match in _TOKEN.finditer(line, at + 7):
        if match[0].startswith("#"):
            break
        tokens.append((match.start(), match.end(), match[0]))
    out: list[_Option] = []
    i = 0
    try:
        while i < len(tokens):
            start, end, text = tokens[i]
            if text.startswith("--") and len(text) > 2:
                raw, eq, _ = text[2:].partition("=")
                name = _long_name(raw)
                if eq:
                    vstart = start + 3 + len(raw)
                    out.append(_Option(name, text[3 + len(raw) :], start, end, vstart, end))
                elif not _KIND[name] and i + 1 < len(tokens):
                    vs, ve, value = tokens[i + 1]
                    out.append(_Option(name, value, start, ve, vs, ve))
                    i += 1
                else:
                    out.append(_Option(name, "", start, end, end, end))
            elif text.startswith("-") and len(text) > 1 and text[1] in _SHORT:
                name = _SHORT[text[1]]
                if len(text) > 2 or _KIND[name]:
                    out.append(_Option(name, text[2:], start, end, start + 2, end))
                elif i + 1 < len(tokens):
                    vs, ve, value = tokens[i + 1]
                    out.append(_Option(name, value, start, ve, vs, ve))
                    i += 1
            i += 1
    except (ValueError, KeyError):
        return []
    return out


def _unquote(value: str) -> str:
    try:
        parts = shlex.split(value)
    except ValueError:
        return value
    return parts[0] if len(parts) == 1 else value


def directive_values(script: str) -> dict[str, str]:
    """The value of each ``#SBATCH`` option sbatch would use, as written (``"00:30:00"``).

    Keys are long option names (``"job-name"``, ``"time"``); later lines win, and lines
    after the first command do not count, as in sbatch.

    >>> directive_values("#!/bin/bash\\n#SBATCH -N 2 --time=30\\nsrun a")
    {'nodes': '2', 'time': '30'}
    """
    text, offset, _ = normalise(script)
    found, _ = scan(text, offset)
    lines = script.replace("\r\n", "\n").split("\n")
    values: dict[str, str] = {}
    for name, number in sorted(found.lines.items(), key=lambda item: item[1]):
        if 0 < number <= len(lines):
            for option in _options_of(lines[number - 1]):
                if option.name == name:
                    values[name] = _unquote(option.value)
    return values


def _quote(value: str) -> str:
    return value if re.fullmatch(r"[\w@%+=:,./-]+", value) else shlex.quote(value)


def set_directive(script: str, name: str, value: str | None) -> str:
    """``script`` with ``#SBATCH`` option ``name`` (a long name) set to ``value``.

    ``None`` or ``""`` removes the option. The option the script uses (the last one given
    before the first command) is the one changed.

    >>> print(set_directive("#!/bin/bash\\n#SBATCH -N 2 -C cpu\\nsrun a", "nodes", "4"), end="")
    #!/bin/bash
    #SBATCH -N 4 -C cpu
    srun a
    >>> print(set_directive("#!/bin/bash\\nsrun a\\n", "time", "00:30:00"), end="")
    #!/bin/bash
    #SBATCH -t 00:30:00
    srun a
    """
    name = _long_name(name)
    value = (value or "").strip()
    crlf = "\r\n" in script
    lines = script.replace("\r\n", "\n").split("\n")
    text, offset, _ = normalise(script)
    found, _ = scan(text, offset)
    number = found.lines.get(name)
    if number is not None and 0 < number <= len(lines):
        line = lines[number - 1]
        options = [o for o in _options_of(line) if o.name == name]
        if options:
            option = options[-1]
            if value:
                line = line[: option.value_start] + _quote(value) + line[option.value_end :]
                lines[number - 1] = line
            else:
                rest = (line[: option.start].rstrip() + " " + line[option.end :].lstrip()).rstrip()
                if not _options_of(rest) and not rest.strip().removeprefix("#SBATCH").strip():
                    del lines[number - 1]
                else:
                    lines[number - 1] = rest
            return _join(lines, crlf)
    if not value:
        return _join(lines, crlf)
    flag = SHORT_FORMS.get(name)
    new = f"#SBATCH {flag} {_quote(value)}" if flag else f"#SBATCH --{name}={_quote(value)}"
    lines.insert(_insert_at(lines), _indent_of(lines) + new)
    return _join(lines, crlf)


def _join(lines: list[str], crlf: bool) -> str:
    return ("\r\n" if crlf else "\n").join(lines)


def _indent_of(lines: list[str]) -> str:
    for line in lines:
        if line.lstrip().startswith("#SBATCH"):
            return line[: len(line) - len(line.lstrip())]
    return ""


def _insert_at(lines: list[str]) -> int:
    """Where a new ``#SBATCH`` line goes: after the header's last one, else after ``#!``."""
    last = 0
    for index, line in enumerate(lines):
        stripped = line.strip()
        if index == 0 and stripped.startswith("#!"):
            last = 1
            continue
        if stripped.startswith("#SBATCH"):
            last = index + 1
        elif stripped and not stripped.startswith("#"):
            break
    if last == 0:
        for index, line in enumerate(lines):
            if line.strip().startswith("#!"):
                return index + 1
    return last
