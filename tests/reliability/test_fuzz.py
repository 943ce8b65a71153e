"""A schema-driven fuzz run: schemathesis generates requests from the facility's own OpenAPI
document (every operation but running a shell command), bounded in examples and time, and
no answer may be a 5xx."""

from __future__ import annotations

import time
from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support.facility import SEEN_SECRETS, fast_config, new_client, serve
from tests.support.figures import record, record_bad_input
from tests.support.tokens import fetch_token

SECTION = "schema-driven fuzz (schemathesis)"
EXAMPLES = 25
BUDGET_SECONDS = 60
#: Never fuzzed: the generated text would run as a shell command on this machine.
EXCLUDED = {("POST", "/api/v1.2/utilities/command/{machine}")}


class OutOfTime(Exception):
    pass


def test_fuzzing_the_openapi_document_finds_no_5xx(tmp_path):
    statuses: Counter[int] = Counter()
    server_errors: list[str] = []
    operations_run = 0
    config = fast_config(tmp_path / "state", max_upload_bytes=256 * 1024)
    with serve(config) as facility:
        creds = new_client(facility, "fuzz")
        token = fetch_token(facility.token_url, creds)
        SEEN_SECRETS.add(token)
        headers = {"Authorization": f"Bearer {token}"}
        schema = schemathesis.openapi.from_url(facility.api_url + "/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        deadline = time.monotonic() + BUDGET_SECONDS
        for operation in operations:
            if (operation.method.upper(), operation.path) in EXCLUDED:
                continue
            if time.monotonic() > deadline:
                break
            operations_run += 1

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case) -> None:
                if time.monotonic() > deadline:
                    raise OutOfTime
                response = case.call(base_url=facility.base_url, headers=headers, timeout=30)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    server_errors.append(
                        f"{case.method} {case.formatted_path} -> {response.status_code}"
                    )

            try:
                fuzz()
            except OutOfTime:
                break
    total = sum(statuses.values())
    record(SECTION, "operations fuzzed", operations_run)
    record(SECTION, "requests sent", total)
    record(SECTION, "answers 2xx", sum(n for s, n in statuses.items() if s < 300))
    record(SECTION, "answers 4xx", sum(n for s, n in statuses.items() if 400 <= s < 500))
    record(SECTION, "answers 5xx", len(server_errors), zero=True)
    for line in sorted(set(server_errors))[:10]:
        record_bad_input("facility (fuzz)", line.split(" -> ")[0], f"HTTP {line.split()[-1]}")
    assert operations_run >= 25, operations_run
    assert not server_errors, sorted(set(server_errors))[:10]
