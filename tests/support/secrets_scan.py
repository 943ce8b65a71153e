"""Look for access tokens and key material in files a user or a CI log could show.

A finding is either a known secret (a private key or access token met during the run; see
:data:`tests.support.facility.SEEN_SECRETS`) or something shaped like one: a signed JWT, a PEM
private key, a JWK's private members.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

PATTERNS = {
    "jwt": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{20,}"),
    "pem private key": re.compile(r"-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----"),
    "jwk private member": re.compile(
        r"""["'](?:d|p|q|dp|dq|qi)["']\s*:\s*["'][A-Za-z0-9_-]{40,}"""
    ),
}
#: Files too big to be anything but data are skipped.
MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = {
    ".ipynb",
    ".json",
    ".jsonl",
    ".log",
    ".txt",
    ".xml",
    ".html",
    ".md",
    ".out",
    ".err",
    "",
}


@dataclass(frozen=True)
class Finding:
    where: str
    kind: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}"


def _key_lines(secret: str) -> list[str]:
    """A PEM is found by any of its long base64 lines; a token by its signature."""
    if "PRIVATE KEY" in secret:
        return [line for line in secret.splitlines() if len(line) >= 40]
    if secret.count(".") == 2:
        return [secret, secret.rsplit(".", 1)[1]]
    return [secret] if len(secret) >= 40 else []


def scan_text(text: str, where: str, known: Iterable[str] = ()) -> list[Finding]:
    found = [Finding(where, kind) for kind, pattern in PATTERNS.items() if pattern.search(text)]
    for secret in known:
        if any(piece in text for piece in _key_lines(secret)):
            found.append(Finding(where, "a secret issued during the run"))
            break
    return found


def files_under(roots: Iterable[Path]) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink() and path.suffix in TEXT_SUFFIXES:
                    yield path


def scan_files(roots: Iterable[Path], known: Iterable[str] = ()) -> tuple[int, list[Finding]]:
    """(files scanned, findings)."""
    known = list(known)
    scanned, findings = 0, []
    for path in files_under(roots):
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            text = path.read_bytes().decode("utf-8", "replace")
        except OSError:
            continue
        scanned += 1
        findings += scan_text(text, str(path), known)
    return scanned, findings
