"""Secrets: after the other suites ran (this module runs last), no access token and no key
material in saved notebooks, widget states, logs, exception texts or test artifacts.

Looked for: every private key and access token met during the run (kept in memory only), and
anything shaped like one (a signed JWT, a PEM private key, a JWK's private members).
"""

from __future__ import annotations

from tests.support.facility import SEEN_SECRETS
from tests.support.figures import REPO, artifacts_dir, record
from tests.support.secrets_scan import scan_files

SECTION = "secrets"


def test_no_secret_in_notebooks_widget_states_logs_or_artifacts():
    roots = [
        REPO / "notebooks",  # the saved tutorial notebooks
        artifacts_dir(),  # logs, widget states, notebooks and exception texts of this run
        artifacts_dir().parent,  # every other test artifact (JUnit reports, ...)
    ]
    scanned, findings = scan_files(dict.fromkeys(roots), SEEN_SECRETS)
    findings = sorted(set(findings), key=str)
    record(SECTION, "files scanned", scanned)
    record(SECTION, "secrets known to look for", len(SEEN_SECRETS))
    record(SECTION, "secrets found", len(findings), zero=True)
    assert scanned > 0
    assert len(SEEN_SECRETS) > 0 or scanned > 0
    assert not findings, [str(f) for f in findings]
