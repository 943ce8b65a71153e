"""ci/check_skips.py: CI fails on a skipped test, and on a required suite that never ran."""

from __future__ import annotations

import importlib.util
from pathlib import Path

CHECK = Path(__file__).resolve().parents[1] / "ci" / "check_skips.py"


def _main():
    spec = importlib.util.spec_from_file_location("check_skips", CHECK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


SKIPPED = '<skipped message="no"/>'


def junit(path: Path, *cases: tuple[str, bool]) -> str:
    body = "".join(
        f'<testcase classname="{name}" name="t">{SKIPPED if skip else ""}</testcase>'
        for name, skip in cases
    )
    path.write_text(f"<testsuites><testsuite>{body}</testsuite></testsuites>")
    return str(path)


def test_a_required_suite_that_never_ran_fails_the_run(tmp_path, capsys):
    main = _main()
    ran = junit(tmp_path / "a.xml", ("tests.hub.test_hub_http", False))
    assert main([ran, "--require", "tests.hub.test_hub_http"]) == 0
    assert main([ran, "--require", "tests.hub.test_hub_browser"]) == 1
    assert "no test of tests.hub.test_hub_browser ran" in capsys.readouterr().out


def test_a_skipped_test_fails_the_run_even_when_required_ones_ran(tmp_path, capsys):
    main = _main()
    both = junit(
        tmp_path / "b.xml", ("tests.hub.test_hub_http", False), ("tests.hub.test_hub_browser", True)
    )
    assert main([both, "--require", "tests.hub.test_hub_http"]) == 1
    out = capsys.readouterr().out
    assert "SKIPPED tests.hub.test_hub_browser::t" in out
