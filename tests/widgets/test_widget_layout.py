"""Every widget has the same pieces in the same places (docs/architecture.md, "Adding a
widget"). The widget list comes from the folders of ``js/src`` (all but ``lib``), so a widget
added with a piece missing fails here, whichever piece it is."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from sfapi_jupyter.widgets._base import SfWidget
from sfapi_jupyter.widgets._static import BUNDLES, STATIC_DIR, widget_modules

ROOT = Path(__file__).resolve().parents[2]
JS_SRC = ROOT / "js" / "src"
WIDGETS = sorted(p.name for p in JS_SRC.iterdir() if p.is_dir() and p.name != "lib")
CSS_CLASS = re.compile(r"\.(sfj-[\w-]+)")
#: A view is built from section builders: the body given to ``defineView`` stays short.
VIEW_LINES = 120


def widget_classes(name: str) -> list[type[SfWidget]]:
    module = importlib.import_module(f"sfapi_jupyter.widgets.{name}")
    return [
        cls
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, SfWidget) and cls is not SfWidget and cls.__module__ == module.__name__
    ]


def test_the_widget_folders_are_the_widget_modules() -> None:
    assert WIDGETS, "no widget folder in js/src"
    assert set(WIDGETS) == set(BUNDLES), "js/src/<widget>/ and widgets/<widget>.py must pair up"


def test_the_bundle_list_is_the_modules_that_define_a_widget(tmp_path: Path) -> None:
    (tmp_path / "gauge.py").write_text("from ._base import SfWidget\nclass Gauge(SfWidget): ...\n")
    (tmp_path / "dial.py").write_text("from . import _base\nclass Dial(_base.SfWidget): ...\n")
    (tmp_path / "helpers.py").write_text("class Helper: ...\n")  # a public helper: no bundle
    (tmp_path / "_format.py").write_text("class Hidden(SfWidget): ...\n")  # private
    assert widget_modules(tmp_path) == ("dial", "gauge")


@pytest.mark.parametrize("name", WIDGETS)
def test_widget_has_its_python_class_with_a_static_summary(name: str) -> None:
    classes = widget_classes(name)
    assert classes, f"sfapi_jupyter/widgets/{name}.py defines no SfWidget subclass"
    for cls in classes:
        for method in ("summary_html", "summary_text"):
            assert getattr(cls, method) is not getattr(SfWidget, method), (
                f"{cls.__name__} keeps SfWidget's {method}: a saved notebook would show nothing"
            )


@pytest.mark.parametrize("name", WIDGETS)
def test_widget_has_its_view_style_protocol_and_unit_tests(name: str) -> None:
    folder = JS_SRC / name
    for piece in ("index.ts", "style.css", "protocol.ts"):
        assert (folder / piece).is_file(), f"js/src/{name}/ has no {piece}"
    assert list(folder.glob("*.test.ts")), f"js/src/{name}/ has no unit test (*.test.ts)"
    index = (folder / "index.ts").read_text()
    assert "export default defineView<" in index, f"js/src/{name}/index.ts: not built by defineView"
    assert "model.off(" not in index, "listeners are removed by the view helper, not by hand"


@pytest.mark.parametrize("name", WIDGETS)
def test_widget_has_its_docs_page(name: str) -> None:
    page = ROOT / "docs" / "widgets" / f"{name.replace('_', '-')}.md"
    assert page.is_file(), f"no docs page {page.relative_to(ROOT)}"


@pytest.mark.parametrize("name", WIDGETS)
def test_widget_view_is_built_from_short_sections(name: str) -> None:
    lines = (JS_SRC / name / "index.ts").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("export default defineView<"))
    end = next(i for i in range(start, len(lines)) if lines[i] == "});")
    assert end - start + 1 <= VIEW_LINES, (
        f"js/src/{name}/index.ts: its view is {end - start + 1} lines; "
        "move sections (header, list, preview, ...) into builders"
    )


def test_lib_holds_only_what_two_widgets_share() -> None:
    """A module of js/src/lib that one widget alone imports belongs in that widget's folder."""
    importers: dict[str, set[str]] = {}
    pattern = re.compile(r'from "\.\./lib/([\w/]+)"')
    for name in WIDGETS:
        for path in (JS_SRC / name).glob("*.ts"):
            if path.name.endswith(".test.ts"):
                continue
            for module in pattern.findall(path.read_text()):
                importers.setdefault(module, set()).add(name)
    lone = {module: sorted(users) for module, users in importers.items() if len(users) < 2}
    assert not lone, f"used by one widget only, move into its folder: {lone}"


@pytest.mark.parametrize("name", WIDGETS)
def test_widget_stylesheet_styles_every_class_its_view_uses(name: str) -> None:
    """Each widget's _css is all it gets on a page where it is alone: a class its view draws
    that a stylesheet styles must be styled by the widget's own bundle (its style.css and
    what that imports), not by another widget's that happens to be loaded."""
    styled = {c for p in JS_SRC.rglob("*.css") for c in CSS_CLASS.findall(p.read_text())}
    used = set(re.findall(r"sfj-[\w-]+", (STATIC_DIR / f"{name}.js").read_text())) & styled
    missing = used - set(CSS_CLASS.findall((STATIC_DIR / f"{name}.css").read_text()))
    assert not missing, f"js/src/{name}/style.css should import the rules of {sorted(missing)}"
