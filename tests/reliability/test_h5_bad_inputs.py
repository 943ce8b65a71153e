"""Bad inputs to ``machine.h5`` against the local facility, each with the one message the user
gets (recorded for ``docs/bad-inputs.md``). The program runs there, as the user."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sfapi_jupyter import Client
from sfapi_jupyter.client import AnnularDarkField, BrightField, H5Error
from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import fast_config, new_client, serve, sync_client
from tests.support.figures import record_bad_input, record_text
from tests.support.h5files import write_4d, write_bitshuffle
from tests.support.reachable import reachable_python


@pytest.fixture(scope="module")
def facility(tmp_path_factory) -> Iterator[LocalFacility]:
    with serve(fast_config(tmp_path_factory.mktemp("h5bad") / "state")) as running:
        yield running


@pytest.fixture(scope="module")
def pythons() -> Iterator[tuple[str, str]]:
    """(a Python with h5py, one with numpy but no h5py), both runnable by the users."""
    with reachable_python(also=("h5py",)) as good, reachable_python() as bare:
        yield str(good), str(bare)


@pytest.fixture(scope="module")
def client(facility, pythons) -> Iterator[Client]:
    with sync_client(facility, new_client(facility, "hana")) as client:
        home = Path(facility.config.home_of("hana"))
        write_4d(home / "scan.h5", (6, 5, 32, 32), (2, 5, 32, 32)).chmod(0o644)
        (home / "notes.h5").write_text("not HDF5 at all\n")
        (home / "notes.h5").chmod(0o644)
        write_bitshuffle(home / "camera.h5").chmod(0o644)
        yield client


# (reason, what the message says, the call after ``machine.``). Each call runs as written, with
# ``h5`` the machine's on a Python that has h5py: the page shows exactly what ran.
CASES = [
    ("not_hdf5", "notes.h5 is not an HDF5 file", "h5('notes.h5').tree()"),
    ("missing_file", "gone.h5: no such file", "h5('gone.h5').tree()"),
    ("no_dataset", "its datasets: /data,", "h5('scan.h5').slice('/dat')"),
    ("not_a_dataset", "/meta in scan.h5 is a group", "h5('scan.h5').slice('/meta')"),
    ("not_4d", "/meta/stack has shape 5x40x60", "h5('scan.h5').mean_diffraction('/meta/stack')"),
    (
        "detector_outside",
        "within rows 0..31",
        "h5('scan.h5').virtual_image('/data', BrightField(40, 10, 5))",
    ),
    (
        "detector_outside",
        "covers no pixel",
        "h5('scan.h5').virtual_image('/data', AnnularDarkField(3.5, 3.5, .1, .2))",
    ),
    ("missing_filter", "pip install hdf5plugin", "h5('camera.h5')['/frames'][0]"),
    ("bad_index", "outside axis 0 of /data (0..5)", "h5('scan.h5')['/data'][6, 0]"),
]
DETECTORS = {"BrightField": BrightField, "AnnularDarkField": AnnularDarkField}


def clear(message: str) -> bool:
    return bool(message.strip()) and "Traceback" not in message and "\n" not in message.strip()


def job_failed(h5: Any) -> tuple[str, str]:
    """(message, job id) of a question asked as a job that ended without an answer: one
    clear line, reason ``job_failed``."""
    with pytest.raises(H5Error) as caught:
        h5.tree()
    message = str(caught.value)
    assert caught.value.reason == "job_failed" and clear(message), message
    return message, h5.last_job.jobid if h5.last_job else "?"


@pytest.mark.parametrize(("reason", "says", "given"), CASES, ids=[c[2] for c in CASES])
def test_each_bad_input_gets_one_clear_message(client, pythons, reason, says, given):
    machine = client.compute("perlmutter")
    names = {"h5": functools.partial(machine.h5, python=pythons[0]), **DETECTORS}
    with pytest.raises(H5Error) as caught:
        eval(given, names)
    message = str(caught.value)
    assert caught.value.reason == reason, message
    assert clear(message), message
    assert says in message, message
    record_text("message", message)
    record_bad_input("function", f"machine.{given}", message)


def test_a_python_without_h5py_says_how_to_get_one(client, pythons):
    bare = pythons[1]
    with pytest.raises(H5Error) as caught:
        client.compute("perlmutter").h5("scan.h5", python=bare).tree()
    message = str(caught.value)
    assert caught.value.reason == "no_python" and clear(message)
    assert "No module named 'h5py'" in message and "-m pip install h5py" in message
    record_bad_input("function", "machine.h5('scan.h5', python=<a Python without h5py>)", message)
    with pytest.raises(H5Error) as caught:
        client.compute("perlmutter").h5("scan.h5", python="~/envs/gone/bin/python").tree()
    message = str(caught.value)
    assert caught.value.reason == "no_python" and clear(message)
    assert "is not on perlmutter (not found): check the path" in message
    record_bad_input("function", "machine.h5('scan.h5', python='~/envs/gone/bin/python')", message)


def test_no_python_with_h5py_on_the_machine_says_how_to_make_one(client):
    """Neither the remote kernel environment nor a ``python3`` with h5py: the message names
    both, and the commands that make one."""
    machine = client.compute("perlmutter")
    machine.aio.h5_pythons.clear()
    check = machine.run("python3 -c 'import h5py, numpy' 2>/dev/null && echo has-h5py")
    if "has-h5py" in check.output:
        pytest.skip("this host's python3 has h5py: the default finds it")
    with pytest.raises(H5Error) as caught:
        machine.h5("scan.h5").tree()
    message = str(caught.value)
    assert caught.value.reason == "no_python" and clear(message)
    assert "~/.venvs/sfapi-jupyter/bin/python: not found" in message
    assert "python3: " in message and "install-kernel --remote perlmutter" in message
    record_bad_input("function", "machine.h5('scan.h5') with no h5py on the machine", message)


def test_detectors_and_indexes_refused_before_any_request(client):
    """Caught here, before a command is sent: numbers a detector cannot have, an index
    entry that is neither an integer nor ':'."""
    h5 = client.compute("perlmutter").h5("scan.h5")
    tried: list[tuple[str, Callable[[], Any], type[Exception]]] = [
        ("BrightField(128, 120, 0)", lambda: BrightField(128, 120, 0), ValueError),
        (
            "AnnularDarkField(128, 120, 60, 30)",
            lambda: AnnularDarkField(128, 120, 60, 30),
            ValueError,
        ),
        ("BrightField('centre', 120, 10)", lambda: BrightField("centre", 120, 10), ValueError),
        ("h5('scan.h5')['/data'][0:4, 0]", lambda: h5["/data"][0:4, 0], H5Error),
        (
            "h5('scan.h5').mean_diffraction('/data', scan_step=0)",
            lambda: h5.mean_diffraction("/data", scan_step=0),
            ValueError,
        ),
    ]
    for given, call, kind in tried:
        with pytest.raises(kind) as caught:
            call()
        message = str(caught.value)
        assert clear(message), message
        record_bad_input("function", given, message)
    assert h5.commands == 0


# -- questions run as batch jobs (``job=``) ------------------------------------------------------
def slow_python(client: Client, good: str) -> str:
    """A Python with h5py that first sleeps 30 s: its job outlives a short limit."""
    home = Path(client.compute("perlmutter").run("echo $HOME", check=True).output.strip())
    wrapper = home / "slow-python"
    wrapper.write_text(f'#!/bin/sh\nsleep 30\nexec {good} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def test_a_job_that_fails_says_what_happened_and_its_id(client, pythons):
    machine = client.compute("perlmutter")
    # The Python-finding loop runs in the job as in a command: the same one line.
    gone = machine.h5("scan.h5", python="~/envs/gone/bin/python", job=True)
    with pytest.raises(H5Error) as caught:
        gone.tree()
    message = str(caught.value)
    assert caught.value.reason == "no_python" and clear(message), message
    assert "is not on perlmutter (not found): check the path" in message
    assert gone.jobs == 1 and gone.last_job is not None
    record_bad_input(
        "function", "machine.h5('scan.h5', python='~/envs/gone/bin/python', job=True)", message
    )

    home = Path(machine.run("echo $HOME", check=True).output.strip())
    broken = home / "broken-python"
    broken.write_text("#!/bin/sh\necho 'Segmentation fault (core dumped)' >&2\nexit 139\n")
    broken.chmod(0o755)
    message, jobid = job_failed(machine.h5("scan.h5", python=str(broken), job=True))
    assert f"job {jobid} on perlmutter (sfapi-h5) ended FAILED (exit 139)" in message
    assert "its stderr: Segmentation fault (core dumped)" in message
    record_bad_input("function", "machine.h5(..., job=True) whose Python crashes", message)

    slow = slow_python(client, pythons[0])
    message, jobid = job_failed(machine.h5("scan.h5", python=slow, job={"time": "0:01"}))
    assert f"job {jobid} on perlmutter (sfapi-h5) reached its time limit" in message
    assert "job={'time': '00:30:00'}" in message
    record_bad_input("function", "machine.h5(..., job={'time': '0:01'}) on a slow read", message)

    waited = machine.h5("scan.h5", python=slow, job={"time": "0:30"}, timeout=3)
    message, _ = job_failed(waited)
    assert "had not answered after 3 s" in message and "so it was cancelled" in message
    assert waited.last_job is not None
    assert waited.last_job.refresh().state.value == "CANCELLED"
    record_bad_input("function", "machine.h5(..., job=True, timeout=3) on a slow read", message)


def test_bad_job_options_refused_before_any_request(client):
    machine = client.compute("perlmutter")
    for given, job in (
        ("job=5", 5),
        ("job=''", ""),
        ("job={'time': '10\\n#SBATCH -A other'}", {"time": "10\n#SBATCH -A other"}),
        ("job={'qos': ''}", {"qos": ""}),
        ("job={'time; rm -rf ~': '10'}", {"time; rm -rf ~": "10"}),
    ):
        with pytest.raises(ValueError) as caught:
            machine.h5("scan.h5", job=job)
        message = str(caught.value)
        assert clear(message) and "job=" in message, message
        record_bad_input("function", f"machine.h5('scan.h5', {given})", message)
