"""The package's layers, enforced: ``client`` ← ``keyless`` ← ``widgets`` ← ``notebook`` ←
``cli``, and ``client`` ← ``keyless`` ← ``server`` (the Jupyter server extension, keyless
like the kernel where this node's Slurm serves); the ``facility`` stands
alone, and only ``keyless`` and ``cli`` may import it; no
import cycle between modules.

Every import counts, function-level ones included, and ``TYPE_CHECKING`` ones count for the
layering rule too. Only for cycles may a ``TYPE_CHECKING`` import inside one layer be left
out (it never runs). See docs/architecture.md.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sfapi_jupyter"
#: Each layer may import the layers at or before it in this order.
ORDER = ["client", "keyless", "widgets", "notebook", "cli"]
#: Layers beside the chain, and the only layers each may import (besides itself).
BRANCHES = {"server": {"client", "keyless"}}
STANDALONE = "facility"
#: The layers that may import the facility: ``keyless`` serves the client with the
#: facility's routes in-process; the CLI serves and administers it.
FACILITY_USERS = ("keyless", "cli")
#: The package's own top-level modules: the front door may reach every layer but the facility
#: (``load_ipython_extension`` hands over to the notebook layer); none of the layers may
#: import it back, except for the version.
ROOT_MODULES = {"sfapi_jupyter", "sfapi_jupyter.__main__", "sfapi_jupyter._version"}


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    type_checking: bool


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str) -> bool:
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                for inner in ast.walk(child):
                    if hasattr(inner, "lineno"):
                        lines.add(inner.lineno)
    return lines


def imports_of(path: Path) -> list[Import]:
    source = module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    tree = ast.parse(path.read_text(), str(path))
    guarded = _type_checking_lines(tree)
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                targets.append(submodule if is_module(submodule) else origin)
        for target in targets:
            if target == "sfapi_jupyter" or target.startswith("sfapi_jupyter."):
                found.append(Import(source, target, node.lineno, node.lineno in guarded))
    return found


def all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in imports_of(path)]


def layer(module: str) -> str:
    if module in ROOT_MODULES:
        return "root"
    return module.split(".")[1]


def breaks_the_rule(item: Import) -> str | None:
    """Why this import crosses the layering rule, or None."""
    src, dst = layer(item.source), layer(item.target)
    if src == dst:
        return None
    if src == "root":
        if dst == STANDALONE:
            return "the package's front door must not pull in the facility"
        return None
    if dst == "root":
        return None if item.target == "sfapi_jupyter._version" else "a layer imports the root"
    if src == STANDALONE:
        return "the facility imports nothing else of the package"
    if dst == STANDALONE:
        return None if src in FACILITY_USERS else f"{src} must not import the facility"
    if src in BRANCHES:
        if dst in BRANCHES[src]:
            return None
        return f"{src} may not import {dst} (it imports {', '.join(sorted(BRANCHES[src]))} only)"
    if dst in BRANCHES:
        return f"{src} may not import {dst} (only the Jupyter server loads it)"
    if src not in ORDER or dst not in ORDER:
        return f"{src} or {dst} is not a known layer: add it to tests/test_layers.py ORDER"
    if ORDER.index(dst) > ORDER.index(src):
        return f"{src} may not import {dst} (the rule is {' <- '.join(ORDER)})"
    return None


def cycles(edges: list[Import]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), plus self-imports."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_every_layer_is_a_package_and_nothing_else_sits_at_the_top() -> None:
    top = sorted(p.name for p in PACKAGE.iterdir() if not p.name.startswith((".", "__pycache")))
    expected = {
        *ORDER,
        *BRANCHES,
        STANDALONE,
        "__init__.py",
        "__main__.py",
        "_version.py",
        "py.typed",
    }
    # the side panel's build (labextension/ → here; JavaScript, not a layer), once built
    top = [name for name in top if name != "labextension"]
    assert set(top) == expected, "the top of sfapi_jupyter/ should read as its layers"


def test_no_import_crosses_the_layering_rule() -> None:
    imports = all_imports()
    assert len(imports) > 100, "the import walk found too little: is it broken?"
    wrong = [
        f"{i.source}:{i.line} imports {i.target}: {why}"
        for i in imports
        if (why := breaks_the_rule(i))
    ]
    assert not wrong, "\n".join(wrong)


def test_the_notebook_uses_only_public_modules_of_the_widgets() -> None:
    private = [
        f"{i.source}:{i.line} imports {i.target}"
        for i in all_imports()
        if layer(i.source) == "notebook"
        and layer(i.target) == "widgets"
        and any(part.startswith("_") for part in i.target.split(".")[2:])
    ]
    assert not private, "use the widgets' public names (widgets/support/):\n" + "\n".join(private)


def test_no_import_cycles_between_modules() -> None:
    runtime = [
        i for i in all_imports() if not (i.type_checking and layer(i.source) == layer(i.target))
    ]
    found = cycles(runtime)
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_module_is_over_400_lines() -> None:
    long = {
        module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long, f"split these modules: {long}"


def test_no_typescript_file_is_over_400_lines() -> None:
    """The widgets' sources (js/src) and the side panel's (labextension/src)."""
    roots = [PACKAGE.parent / "js" / "src", PACKAGE.parent / "labextension" / "src"]
    sources = [p for root in roots for p in root.rglob("*.ts")]
    assert len({root for root in roots for p in sources if root in p.parents}) == 2, (
        "the TypeScript sources moved: point this check at them"
    )
    long = {
        str(p.relative_to(PACKAGE.parent)): n
        for p in sources
        if (n := len(p.read_text().splitlines())) > 400
    }
    assert not long, f"split these files by concept: {long}"


@pytest.mark.parametrize(
    ("source", "target", "why"),
    [
        ("sfapi_jupyter.client._client", "sfapi_jupyter.widgets", "client may not import widgets"),
        ("sfapi_jupyter.widgets.job_card", "sfapi_jupyter.notebook.controllers", "widgets may not"),
        ("sfapi_jupyter.notebook.jobs", "sfapi_jupyter.cli", "notebook may not import cli"),
        ("sfapi_jupyter.facility.app", "sfapi_jupyter.client", "the facility imports nothing"),
        ("sfapi_jupyter.notebook.jobs", "sfapi_jupyter.facility", "notebook must not import"),
        ("sfapi_jupyter.client.watch", "sfapi_jupyter", "a layer imports the root"),
        ("sfapi_jupyter.client._client", "sfapi_jupyter.keyless", "client may not import"),
        ("sfapi_jupyter.widgets._base", "sfapi_jupyter.facility", "widgets must not import"),
        ("sfapi_jupyter.server._views", "sfapi_jupyter.widgets", "server may not import"),
        ("sfapi_jupyter.notebook.jobs", "sfapi_jupyter.server", "notebook may not import"),
        ("sfapi_jupyter.server", "sfapi_jupyter.facility", "server must not import"),
        ("sfapi_jupyter.keyless._select", "sfapi_jupyter.server", "keyless may not import"),
    ],
)
def test_the_rule_catches_each_kind_of_wrong_arrow(source: str, target: str, why: str) -> None:
    reason = breaks_the_rule(Import(source, target, 1, type_checking=True))
    assert reason is not None and why.split()[0] in reason


def test_the_server_may_go_keyless_as_the_kernel_does() -> None:
    # server <- keyless: the side panel's server is keyless where this node's Slurm serves
    upstream = Import("sfapi_jupyter.server._upstream", "sfapi_jupyter.keyless", 1, False)
    assert breaks_the_rule(upstream) is None


def test_the_cycle_finder_finds_a_hidden_cycle() -> None:
    edges = [Import("a", "b", 1, False), Import("b", "c", 1, False), Import("c", "a", 9, False)]
    assert cycles(edges) == [["a", "b", "c"]]
    assert cycles(edges[:2]) == []
