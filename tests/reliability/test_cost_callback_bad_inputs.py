"""Bad inputs and attacks around job cost and submit callbacks, each with the message the user
(or the facility's operator, for a callback that cannot be delivered) sees; recorded for
docs/bad-inputs.md. The local backend; the facility over real HTTP on loopback."""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator

import pytest

from sfapi_jupyter.client import SfApiError
from sfapi_jupyter.client.models import JobState
from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import fast_config, free_port, new_client, serve, sync_client
from tests.support.figures import record_bad_input, record_text
from tests.support.receiver import receiver
from tests.support.waiting import wait_for

GOOD = "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t 5\n"


def check(surface: str, given: str, message: str) -> None:
    record_text("message", message)
    record_bad_input(surface, given, message)
    assert message.strip() and "Traceback" not in message


@pytest.fixture
def facility(tmp_path) -> Iterator[LocalFacility]:
    config = fast_config(
        tmp_path / "state",
        callback_private_ok=True,
        callback_interval=0.05,
        callback_retry_base=0.05,
    )
    with serve(config) as running:
        yield running


def callback_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.endswith(".callbacks")]


def test_a_callback_url_that_refuses_is_tried_a_bounded_number_of_times(facility, caplog):
    caplog.set_level(logging.WARNING, logger="sfapi_jupyter.facility.callbacks")
    closed = f"http://127.0.0.1:{free_port()}/hook"
    with receiver() as hook, sync_client(facility, new_client(facility)) as client:
        hook.status = 503
        machine = client.compute("perlmutter")
        refused = machine.submit(GOOD + "true", callback_url=closed)
        unavailable = machine.submit(GOOD + "true", callback_url=hook.url)
        # the scheduler goes on: a job submitted now runs and ends as usual
        later = machine.submit(GOOD + "true")
        for job in (refused, unavailable, later):
            job.wait(timeout=60)
        assert later.state is JobState.COMPLETED
        wait_for(lambda: sum("given up" in m for m in callback_logs(caplog)) == 2, timeout=60)
        time.sleep(0.5)
        assert len(hook.posts) == 5  # MAX_ATTEMPTS, then no more
    messages = callback_logs(caplog)
    assert sum(str(refused.jobid) in m for m in messages) == 5
    check("facility", f"callbackUrl {closed} (nothing listening)", messages[0])
    given_up = next(m for m in messages if "given up" in m and hook.url in m)
    check("facility", "callbackUrl answering HTTP 503", given_up)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://127.0.0.1:25/", "http:// or https://"),
        ("http://", "http:// or https://"),
    ],
)
def test_a_bad_callback_url_is_refused_before_anything_is_sent(facility, url, says):
    with sync_client(facility, new_client(facility)) as client:
        with pytest.raises(ValueError, match=says) as raised:
            client.compute("perlmutter").submit(GOOD + "true", callback_url=url)
        assert client.compute("perlmutter").jobs() == []
    check("function", f"submit(..., callback_url={url!r})", str(raised.value))


def test_the_facility_refuses_a_callback_to_a_private_address(tmp_path):
    """Not an SSRF tool: by default a callback may not reach the facility's own network
    (cloud metadata, loopback services); the submit fails and says why."""
    with serve(fast_config(tmp_path / "state")) as facility:
        client = sync_client(facility, new_client(facility))
        with client:
            machine = client.compute("perlmutter")
            for url in ("http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:22/"):
                with pytest.raises(SfApiError, match="not a public address") as raised:
                    machine.submit(GOOD + "true", callback_url=url)
                check("facility", f"callbackUrl {url}", str(raised.value))
            assert machine.jobs(sacct=True) == []


def test_a_callback_is_not_redirected(facility, caplog):
    caplog.set_level(logging.WARNING, logger="sfapi_jupyter.facility.callbacks")
    with receiver() as target, receiver() as hook:
        hook.status = 307
        hook.location = target.url
        with sync_client(facility, new_client(facility)) as client:
            client.compute("perlmutter").submit(GOOD + "true", callback_url=hook.url).wait(60)
            wait_for(lambda: any("given up" in m for m in callback_logs(caplog)), timeout=60)
    assert target.posts == [] and len(hook.posts) == 5
    assert "HTTP 307" in callback_logs(caplog)[0]


def test_a_callback_url_that_never_answers_holds_nothing_up(facility, caplog):
    caplog.set_level(logging.WARNING, logger="sfapi_jupyter.facility.callbacks")
    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
        with sync_client(facility, new_client(facility)) as client:
            machine = client.compute("perlmutter")
            machine.submit(GOOD + "true", callback_url=url, callback_timeout=1).wait(60)
            after = machine.submit(GOOD + "true")
            after.wait(timeout=60)
            assert after.state is JobState.COMPLETED
            wait_for(lambda: callback_logs(caplog), timeout=30)
    check(
        "facility", "callbackUrl that never answers (callbackTimeout=1)", callback_logs(caplog)[0]
    )


def test_a_bad_callback_email_is_refused(facility):
    client = sync_client(facility, new_client(facility))
    with client, pytest.raises(ValueError, match="one e-mail address") as raised:
        client.compute("perlmutter").submit(
            GOOD + "true", callback_email="elvis@example.org\r\nBcc: all@example.org"
        )
    check("function", "submit(..., callback_email='a@b\\r\\nBcc: …')", str(raised.value))


def test_a_job_that_ran_out_of_memory_says_what_to_ask_for(facility):
    with sync_client(facility, new_client(facility)) as client:
        job = client.compute("perlmutter").submit(
            GOOD + "#SBATCH --mem=64M\n"
            "python3 -c \"import time; b = b'x' * (256 << 20); time.sleep(30)\"\n"
        )
        job.wait(timeout=120)
        cost = job.cost()
    assert job.state is JobState.OUT_OF_MEMORY and cost.out_of_memory
    summary = cost.summary()
    assert re.search(r"ask for more next time \(#SBATCH --mem=\d+M per node\)", summary), summary
    # The peak is a measured RSS and the advice follows it (400M in one run, 401M in the
    # next): the page shows their form, so that it does not change from run to run.
    shown = re.sub(r"peak memory \d+M", "peak memory NM", summary)
    shown = re.sub(r"--mem=\d+M", "--mem=NM", shown)
    check("function", "job.cost() of a job past its --mem=64M", shown)
