"""One palette: job-state colours from states.json, status colours from status_colours.json,
the few neutral colours in one theme constant per language, and no copy anywhere else."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sfapi_jupyter.client.models.jobs import TERMINAL_STATES
from sfapi_jupyter.widgets.account import _bar
from sfapi_jupyter.widgets.support import static_html
from sfapi_jupyter.widgets.support.formatting import MESSAGE_COLOURS, STATES, STATUS, tint

ROOT = Path(__file__).resolve().parents[2]
COLOUR = re.compile(r"#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})(?![0-9a-zA-Z_])|\b(?:rgba?|hsla?)\(\s*\d")
#: Python constants allowed to hold colours, by module: the static HTML's theme, and the
#: colour map of array previews (data, not a state or a status).
PYTHON_THEME = {
    "sfapi_jupyter/widgets/support/static_html.py": "THEME",
    "sfapi_jupyter/notebook/previews.py": "VIRIDIS",
}
#: The front end's theme: the custom properties of the widget root in js/src/lib/theme.css.
THEME_CSS = ROOT / "js" / "src" / "lib" / "theme.css"
CSS_THEME = re.compile(r"^\.sfj-root \{.*?^\}", re.S | re.M)


def panel_sources() -> list[Path]:
    """The side panel's sources (labextension/): TypeScript, CSS and the settings schema."""
    panel = ROOT / "labextension"
    return [
        *(panel / "src").rglob("*.ts"),
        *(panel / "style").rglob("*.css"),
        *(panel / "schema").glob("*.json"),
    ]


def _python_colours(path: Path) -> list[str]:
    """Colour literals in the strings of ``path`` (docstrings aside) outside its theme."""
    tree = ast.parse(path.read_text())
    allowed = PYTHON_THEME.get(path.relative_to(ROOT).as_posix())
    found = []
    for node in tree.body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == allowed for t in targets):
                continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.Expr) and isinstance(sub.value, ast.Constant):
                sub.value.value = ""  # a docstring: prose, not a colour in use
            elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                found += [f"{path.name}:{sub.lineno}: {m}" for m in COLOUR.findall(sub.value)]
    return found


def _front_end_colours(path: Path) -> list[str]:
    text = re.sub(r"/\*.*?\*/", "", path.read_text(), flags=re.S)
    text = re.sub(r"(^|\s)//.*$", "", text, flags=re.M)
    if path == THEME_CSS:
        text = CSS_THEME.sub("", text, count=1)
    return [f"{path.name}: {m}" for m in COLOUR.findall(text)]


def test_no_colour_is_written_outside_the_palette_files_and_the_themes() -> None:
    python = [p for p in (ROOT / "sfapi_jupyter").rglob("*.py") if "static" not in p.parts]
    front_end = [*(ROOT / "js" / "src").rglob("*.ts"), *(ROOT / "js" / "src").rglob("*.css")]
    front_end += panel_sources()
    found = [c for p in python for c in _python_colours(p)]
    found += [c for p in front_end for c in _front_end_colours(p)]
    assert not found, "colours belong in states.json or status_colours.json:\n" + "\n".join(found)


def test_the_front_end_theme_is_where_the_check_looks() -> None:
    # if the theme block moved, the check above would skip nothing and pass or fail for no reason
    theme = CSS_THEME.search(THEME_CSS.read_text())
    assert theme and "--sfj-on-colour:" in theme.group(0)
    assert all(not _python_colours(ROOT / p) for p in PYTHON_THEME)


def test_the_check_finds_a_copied_colour(tmp_path: Path) -> None:
    copy = tmp_path / "board.ts"
    copy.write_text("// #c62828 in a comment is fine\nconst CSS = `.x { background: #c62828; }`;\n")
    assert _front_end_colours(copy) == ["board.ts: #c62828"]


def test_the_panel_sources_are_scanned_and_take_the_palette_files() -> None:
    # an empty list would make the scan above pass for the panel without looking at it
    names = {p.name for p in panel_sources()}
    assert {"palette.ts", "views.ts", "base.css", "plugin.json"} <= names
    palette = (ROOT / "labextension" / "src" / "palette.ts").read_text()
    assert "sfapi_jupyter/widgets/states.json" in palette
    assert "sfapi_jupyter/widgets/status_colours.json" in palette


def test_widget_terminal_states_are_the_clients() -> None:
    assert set(STATES["terminal"]) == {state.value for state in TERMINAL_STATES}


def test_static_html_takes_its_colours_from_the_palette() -> None:
    warning = MESSAGE_COLOURS["warning"]
    assert f"border-left:3px solid {warning}" in static_html.message("quota", "warning")
    assert f"background:{STATUS['colours']['unavailable'][0]}" in _bar(95, 100)
    assert f"background:{STATUS['colours']['degraded'][0]}" in _bar(80, 100)
    assert f"background:{static_html.THEME['accent']}" in _bar(10, 100)
    assert tint("#c62828", 0.08) == "rgba(198,40,40,0.08)"


def test_every_client_level_and_message_level_has_a_colour() -> None:
    # the account view colours red/green/orange/yellow clients; anything else is "other"
    assert {"red", "green", "orange", "yellow", "other"} <= set(STATUS["client_levels"])
    assert {"error", "warning", "success", "info"} == set(MESSAGE_COLOURS)
