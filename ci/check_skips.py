"""Fail when a test suite that must run in CI was skipped.

Reads pytest's JUnit XML files; every skipped test is listed, and the run fails if any of them
belongs to a suite CI must run (all of them, today: nothing in this project may be
skipped in CI). ``--require PREFIX`` (repeatable) also fails the run when no test whose
class name starts with PREFIX ran at all: a suite that was never collected (a file left out of
a pytest command, a marker that deselects it) skips nothing, yet did not run.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET


def main(argv: list[str]) -> int:
    paths, required = [], []
    args = iter(argv)
    for arg in args:
        if arg == "--require":
            required.append(next(args, ""))
        else:
            paths.append(arg)
    paths = paths or ["test-artifacts/junit.xml"]
    cases = [case for path in paths for case in ET.parse(path).getroot().iter("testcase")]
    path = ", ".join(paths)
    # An expected failure ran (pytest writes it as <skipped type="pytest.xfail">): listed, not
    # counted as skipped. A strict xfail that passes fails the run by itself (XPASS(strict)).
    xfailed = [
        c for c in cases if (s := c.find("skipped")) is not None and s.get("type") == "pytest.xfail"
    ]
    for case in xfailed:
        print(f"check_skips: XFAIL {case.get('classname')}::{case.get('name')}")
    skipped = [c for c in cases if c.find("skipped") is not None and c not in xfailed]
    if not cases:
        print(f"check_skips: no test ran ({path})")
        return 1
    for case in skipped:
        reason = case.find("skipped")
        message = reason.get("message", "") if reason is not None else ""
        print(f"check_skips: SKIPPED {case.get('classname')}::{case.get('name')}: {message}")
    missing = [
        prefix
        for prefix in required
        if not any(
            (c.get("classname") or "").startswith(prefix) and c.find("skipped") is None
            for c in cases
        )
    ]
    for prefix in missing:
        print(f"check_skips: no test of {prefix} ran ({path}); CI must run it")
    if skipped:
        print(f"check_skips: {len(skipped)} of {len(cases)} tests were skipped; CI must run all")
        return 1
    if missing:
        return 1
    print(f"check_skips: all {len(cases)} tests ran")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
