"""Each widget's message protocol is the same on both sides: the kinds (``type``) that
``js/src/<widget>/protocol.ts`` types as ``ToView`` (kernel → view) and ``FromView`` (view →
kernel) are the kinds the Python class sends and handles.

tsc already holds each view to its protocol.ts (``View<M, ToView, FromView>``); this holds
protocol.ts to Python, so a kind added on one side only fails here, naming widget, kind and
the side that lacks it. A kind the view sends that Python does not handle is dropped without
a word (``SfWidget._dispatch`` only logs it at debug level); a kind Python sends that the
protocol does not name is a message the view was never written for.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path

import pytest

from sfapi_jupyter.widgets._base import SfWidget

from .test_widget_layout import JS_SRC, WIDGETS, widget_classes
from .test_widget_shape import MADE, make

#: SfWidget answers a view's ``snapshot?`` for every widget; a view with nothing to ask for
#: (the account view, the status board: all they show is in traits) need not type it.
BASE_HANDLED = {"snapshot?"}

_IDENT = re.compile(r"[A-Za-z_$][\w$]*")
_TYPE_KEY = re.compile(r"\btype\??\s*:\s*\"([^\"]*)\"")


# -- protocol.ts: the kinds of a union -------------------------------------------------------
def strip_comments(source: str) -> str:
    """``source`` without ``//`` and ``/* */`` comments (strings kept as they are)."""
    out: list[str] = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c in "\"'`":
            end = i + 1
            while end < n and source[end] != c:
                end += 2 if source[end] == "\\" else 1
            out.append(source[i : end + 1])
            i = end + 1
        elif source.startswith("//", i):
            i = source.find("\n", i) if "\n" in source[i:] else n
        elif source.startswith("/*", i):
            i = source.index("*/", i) + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def depths(text: str) -> list[int]:
    """The bracket depth at each character of ``text`` (strings and ``=>`` not counted)."""
    out, depth, quote = [], 0, ""
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "\"'`":
            quote = c
        elif c in "({[<":
            depth += 1
        elif c in ")}]>" and not (c == ">" and text[i - 1 : i] == "="):
            depth -= 1
            out.append(depth + 1)  # a closing bracket belongs inside
            continue
        out.append(depth)
    return out


def split_top(text: str, sep: str) -> list[str]:
    """``text`` cut at each ``sep`` outside brackets and strings."""
    parts, start = [], 0
    for i, depth in enumerate(depths(text)):
        if text[i] == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def top_level(body: str) -> str:
    """``body`` with everything inside nested brackets blanked (its own members stay)."""
    return "".join(c if d == 0 else " " for c, d in zip(body, depths(body), strict=True))


def unwrap(member: str) -> str:
    """``member`` without parentheses around the whole of it."""
    while member.startswith("(") and 0 not in depths(member)[:-1]:
        member = member[1:-1].strip()
    return member


class Protocol:
    """The type declarations of one protocol.ts and of the files it imports types from."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.source = strip_comments(path.read_text())
        self.imports: dict[str, Path] = {}
        for names, module in re.findall(
            r"import\s+type\s*\{([^}]*)\}\s*from\s*\"([^\"]+)\"", self.source
        ):
            for name in names.split(","):
                if name.strip():
                    self.imports[name.split(" as ")[-1].strip()] = (
                        path.parent / f"{module}.ts"
                    ).resolve()

    def declaration(self, name: str) -> tuple[str, str] | None:
        """``("interface", body)`` or ``("type", expression)`` of ``name`` in this file."""
        found = re.search(rf"\binterface\s+{name}\b[^{{]*\{{", self.source)
        if found:
            depth, i = 1, found.end()
            while depth:
                depth += {"{": 1, "}": -1}.get(self.source[i], 0)
                i += 1
            return "interface", self.source[found.end() : i - 1]
        found = re.search(rf"\btype\s+{name}\s*=", self.source)
        if found:
            rest = self.source[found.end() :]
            return "type", split_top(rest, ";")[0]
        return None

    def kinds(self, name: str) -> list[str]:
        """The kinds of the type ``name``: one per member of a union, none for ``never``."""
        declared = self.declaration(name)
        if declared is None:
            if name in self.imports:
                return Protocol(self.imports[name]).kinds(name)
            raise AssertionError(f"{self.path}: no declaration of {name}")
        form, text = declared
        if form == "interface":
            return self.object_kinds(name, text)
        return [] if text == "never" else self.union_kinds(text)

    def union_kinds(self, text: str) -> list[str]:
        kinds = []
        for member in split_top(unwrap(text), "|"):
            found = self.member_kinds(member)
            assert found, f'{self.path}: the message {member!r} has no `type: "..."`'
            kinds += found
        return kinds

    def member_kinds(self, member: str) -> list[str]:
        """The kinds of one member: a union, an intersection, an object literal or a name."""
        member = unwrap(member)
        if "|" in top_level(member):
            return self.union_kinds(member)
        parts = split_top(member, "&")
        if len(parts) > 1:
            return [kind for part in parts for kind in self.member_kinds(part)]
        if member.startswith("{"):
            return self.object_kinds(member, member[1:-1])
        if _IDENT.fullmatch(member):
            return self.kinds(member)
        raise AssertionError(f"{self.path}: cannot read the union member {member!r}")

    def object_kinds(self, what: str, body: str) -> list[str]:
        kinds = _TYPE_KEY.findall(top_level(body))
        assert len(kinds) <= 1, f"{self.path}: {what} has more than one `type`: {kinds}"
        return kinds


def ts_kinds(name: str, union: str) -> set[str]:
    return set(Protocol(JS_SRC / name / "protocol.ts").kinds(union))


# -- Python: what a widget class handles and sends ------------------------------------------
def handled_kinds(cls: type[SfWidget]) -> set[str]:
    widget = make(cls.__name__)
    return set(widget._msg_handlers)


def sent_kinds(cls: type[SfWidget]) -> set[str]:
    """The literal kinds in ``_send_msg("kind", ...)`` and ``{"type": "kind", ...}`` in the
    class and the sfapi_jupyter classes it derives from (SfWidget sends ``snapshot``)."""
    kinds: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("sfapi_jupyter."):
            continue
        for node in ast.walk(ast.parse(textwrap.dedent(inspect.getsource(klass)))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_send_msg"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                kinds.add(str(node.args[0].value))
            if isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values, strict=True):
                    if (
                        isinstance(key, ast.Constant)
                        and key.value == "type"
                        and isinstance(value, ast.Constant)
                    ):
                        kinds.add(str(value.value))
    return kinds


def the_class(name: str) -> type[SfWidget]:
    classes = widget_classes(name)
    assert len(classes) == 1, f"sfapi_jupyter/widgets/{name}.py: one widget class, not {classes}"
    assert classes[0].__name__ in MADE, f"tests/widgets/test_widget_shape.py: add {classes[0]}"
    return classes[0]


# -- the tests -------------------------------------------------------------------------------
def mismatches(name: str) -> list[str]:
    """One line per kind that one side has and the other lacks, naming the side to change."""
    cls = the_class(name)
    widget, ts = cls.__name__, f"js/src/{name}/protocol.ts"
    to_view, from_view = ts_kinds(name, "ToView"), ts_kinds(name, "FromView")
    handled, sent = handled_kinds(cls), sent_kinds(cls)
    return [
        *(
            f"{name}: the view sends {kind!r} ({ts} FromView), which {widget} does not handle "
            "(Python side: add it to actions, or _handle it)"
            for kind in sorted(from_view - handled)
        ),
        *(
            f"{name}: {widget} handles {kind!r}, which {ts} FromView does not have "
            "(TypeScript side: type it, or drop the handler)"
            for kind in sorted(handled - BASE_HANDLED - from_view)
        ),
        *(
            f"{name}: {widget} sends {kind!r}, which {ts} ToView does not have (TypeScript side)"
            for kind in sorted(sent - to_view)
        ),
        *(
            f"{name}: {ts} ToView has {kind!r}, which {widget} never sends (Python side)"
            for kind in sorted(to_view - sent)
        ),
    ]


@pytest.mark.parametrize("name", WIDGETS)
def test_the_views_protocol_is_what_python_sends_and_handles(name: str) -> None:
    problems = mismatches(name)
    assert not problems, "\n".join(problems)


def test_the_reader_finds_kinds_through_names_intersections_and_imports(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "shared.ts").write_text(
        'export interface Ask {\n  type: "ask?"; // the view asks\n}\n'
    )
    widget = tmp_path / "gauge"
    widget.mkdir()
    (widget / "protocol.ts").write_text(
        'import type { Ask } from "../lib/shared";\n'
        '/* type: "not-a-kind" */\n'
        'interface Reading { type: "reading"; unit: { type: "nested" }; kind: string }\n'
        'type Pair = { type: "pair"; at?: Record<string, number> } | Reading;\n'
        "export type ToView =\n"
        '  | ({ type: "frame" } & { shape: number[] })\n'
        "  | Pair;\n"
        'export type FromView = Ask | { type: "zoom"; by: (x: number) => number };\n'
        "export type Quiet = never;\n"
    )
    protocol = Protocol(widget / "protocol.ts")
    assert protocol.kinds("ToView") == ["frame", "pair", "reading"]
    assert protocol.kinds("FromView") == ["ask?", "zoom"]
    assert protocol.kinds("Quiet") == []


def test_the_reader_refuses_a_message_without_a_kind(tmp_path: Path) -> None:
    path = tmp_path / "protocol.ts"
    path.write_text('export type ToView = { type: "a" } | { value: number };\n')
    with pytest.raises(AssertionError, match=r"the message '\{ value: number \}' has no `type"):
        Protocol(path).kinds("ToView")
