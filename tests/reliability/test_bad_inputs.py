"""Bad inputs against magics, functions, widgets and the facility, each with the message the
user gets. Every (input, message) pair is recorded; ``ci/bad_inputs_doc.py`` turns them into
``docs/bad-inputs.md``. A message must be there, be readable, and carry no traceback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfapi_jupyter import Client
from sfapi_jupyter.client import SfApiError
from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import SEEN_SECRETS, fast_config, new_client, serve, sync_client
from tests.support.figures import record, record_bad_input, record_text
from tests.support.kernel import Kernel, kernel_env
from tests.support.tokens import fetch_token

SECTION = "bad inputs"
GOOD = "#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t 5\n"
_COUNT = {"tried": 0, "unclear": 0}


@pytest.fixture(scope="module")
def facility(tmp_path_factory) -> Iterator[LocalFacility]:
    with serve(fast_config(tmp_path_factory.mktemp("bad") / "state")) as running:
        yield running


def clear(message: str) -> bool:
    text = message.strip()
    return bool(text) and "Traceback" not in text and 'File "' not in text


def check(surface: str, given: str, message: str) -> None:
    _COUNT["tried"] += 1
    record_text("message", message)
    record_bad_input(surface, given, message)
    if not clear(message):
        _COUNT["unclear"] += 1
    assert clear(message), f"{given}: {message!r}"


# -- magics and widgets, in a real kernel --------------------------------------------------------
MAGICS = [
    "%sfjob",
    "%sfjob abc",
    "%sfjob 12x",
    "%sfjob 987654321",
    "%sfjob 1 -m",
    "%sfjob 1 -m cori",
    "%%sfjob\n",
    "%%sfjob\necho no shebang",
    f"%%sfjob\n{GOOD}#SBATCH --bogus-option=1\ntrue",
    "%%sfjob\n#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t banana\ntrue",
    f"%%sfjob --out 9\n{GOOD}true",
    f"%%sfjob --timeout soon\n{GOOD}true",
    f"%%sfjob -m cori\n{GOOD}true",
    "%sfjobs --mine",
    "%sfjobs --out 9",
    "%sfjobs -m cori",
    "%sftail",
    "%sftail 987654321",
    "%sftail /no/such/file --no-follow -n abc",
    "%sfcancel",
    "%sfcancel abc",
    "%sfcancel 987654321",
]
WIDGETS = [
    "from sfapi_jupyter.widgets import JobCard; JobCard()",
    "from sfapi_jupyter.widgets import JobCard; JobCard(jobid=None, machine='perlmutter')",
    "from sfapi_jupyter.widgets import JobCard; JobCard(jobid='abc', machine='perlmutter')",
    "from sfapi_jupyter.widgets import JobCard; JobCard(jobid='1', machine='')",
    "from sfapi_jupyter.widgets import LogTail; LogTail(path=3)",
    "from sfapi_jupyter.widgets import QueueTable; QueueTable(rows='x')",
]


def test_magics_and_widgets_in_a_kernel(facility, tmp_path):
    creds = new_client(facility, "magics")
    env = kernel_env(facility, creds, tmp_path)
    kernel = Kernel(env, tmp_path).start()
    try:
        kernel.run("%load_ext sfapi_jupyter")
        for surface, cells in (("magic", MAGICS), ("widget", WIDGETS)):
            for cell in cells:
                shown = kernel.run(cell, check=False, timeout=60)
                outputs = kernel.cells[-1].outputs
                errors = [o for o in outputs if o.get("output_type") == "error"]
                if errors:
                    shown = f"{errors[-1]['ename']}: {errors[-1]['evalue']}"
                    # a widget's bad argument is a Python error: its last line is the message
                    assert surface == "widget" or errors[-1]["ename"] == "UsageError", shown
                check(surface, cell.replace("\n", "⏎"), shown)
    finally:
        from tests.support.figures import artifacts_dir

        notebooks = artifacts_dir() / "notebooks"
        notebooks.mkdir(exist_ok=True)
        kernel.save_notebook(notebooks / "bad-inputs.ipynb")
        kernel.stop()


# -- functions of the client -------------------------------------------------------------------
def function_cases(facility: LocalFacility, tmp: Path) -> list[tuple[str, Callable[[Client], Any]]]:
    home = facility.config.home_of("functions")
    readable = tmp / "readable.pem"
    readable.write_text("x")
    readable.chmod(0o644)
    return [
        (
            "Client(client_id='x', key=<a 0644 key file>)",
            lambda c: Client(facility.api_url, client_id="abc", key=str(readable)),
        ),
        (
            "Client(client_id='x', key='not a key').user()",
            lambda c: Client(
                facility.api_url, facility.token_url, client_id="x", key="nope"
            ).user(),
        ),
        (
            "Client() with no key: .user()",
            lambda c: Client(facility.api_url, facility.token_url, access_token=None).user(),
        ),
        (
            "submit('echo no shebang\\ntrue')",
            lambda c: c.compute("perlmutter").submit("echo no shebang\ntrue"),
        ),
        (
            "submit(script with #SBATCH --bogus-option=1)",
            lambda c: c.compute("perlmutter").submit(GOOD + "#SBATCH --bogus-option=1\ntrue"),
        ),
        (
            "submit(script with #SBATCH -t banana)",
            lambda c: c.compute("perlmutter").submit("#!/bin/bash\n#SBATCH -C cpu -t banana\ntrue"),
        ),
        (
            "submit(script with #SBATCH -A not-mine)",
            lambda c: c.compute("perlmutter").submit(GOOD + "#SBATCH -A m9999\ntrue"),
        ),
        (
            "submit(script with #SBATCH -q platinum)",
            lambda c: c.compute("perlmutter").submit(GOOD + "#SBATCH -q platinum\ntrue"),
        ),
        (
            "submit('/no/such/script.sh')  (by path)",
            lambda c: c.compute("perlmutter").submit("/no/such/script.sh"),
        ),
        ("compute('cori').jobs()", lambda c: c.compute("cori").jobs()),
        (
            "upload('no-such-local-file', path)",
            lambda c: c.compute("perlmutter").files.upload("no-such-local-file", f"{home}/x"),
        ),
        (
            "upload(b'x', '/usr/bin/planted')",
            lambda c: c.compute("perlmutter").files.upload(b"x", "/usr/bin/planted"),
        ),
        (
            "download('~/missing.txt')",
            lambda c: c.compute("perlmutter").files.download(f"{home}/missing.txt"),
        ),
        ("download(<a directory>)", lambda c: c.compute("perlmutter").files.download(str(home))),
        (
            "download('/etc/shadow')",
            lambda c: c.compute("perlmutter").files.download("/etc/shadow"),
        ),
        ("ls('~/missing')", lambda c: c.compute("perlmutter").files.ls(f"{home}/missing")),
        (
            "machine.ls('~')  (the files calls are machine.files.ls/download/upload)",
            lambda c: c.compute("perlmutter").ls("~"),
        ),
        ("job(987654321)", lambda c: c.compute("perlmutter").job(987654321)),
        ("run('exit 3', check=True)", lambda c: c.compute("perlmutter").run("exit 3", check=True)),
        (
            "run('sleep 60', timeout=1)",
            lambda c: c.compute("perlmutter").run("sleep 60", timeout=1),
        ),
        ("compute('cori').run('true')", lambda c: c.compute("cori").run("true")),
        (
            "download('~/..')  (a directory: the path reaches the API as given)",
            lambda c: c.compute("perlmutter").files.download("~/.."),
        ),
        ("task('no-such-task')", lambda c: c.task("no-such-task")),
        (
            "submit(...).wait(timeout=0.01)",
            lambda c: c.compute("perlmutter").submit(GOOD + "sleep 5").wait(timeout=0.01),
        ),
        (
            "submit(...).wait(check=True) of a failing job",
            lambda c: c.compute("perlmutter").submit(GOOD + "exit 4").wait(timeout=60, check=True),
        ),
    ]


def test_functions(facility, tmp_path):
    creds = new_client(facility, "functions")
    with sync_client(facility, creds) as client:
        for given, call in function_cases(facility, tmp_path):
            try:
                call(client)
            except (SfApiError, FileNotFoundError, ValueError, TypeError, AttributeError) as exc:
                check("function", given, f"{type(exc).__name__}: {exc}")
            else:
                pytest.fail(f"{given} did not raise")


# -- the facility, over plain HTTP --------------------------------------------------------------
def test_facility_http(facility):
    creds = new_client(facility, "http")
    token = fetch_token(facility.token_url, creds)
    SEEN_SECRETS.add(token)
    home = facility.config.home_of("http")
    auth = {"Authorization": f"Bearer {token}"}
    cases: list[tuple[str, str, dict[str, Any], str]] = [
        ("GET", "compute/jobs/cori", {}, "unknown machine"),
        ("GET", "compute/jobs/perlmutter?kwargs=colour=blue", {}, "unknown kwargs filter"),
        ("GET", "compute/jobs/perlmutter?kwargs=state=finished", {}, "a job state Slurm lacks"),
        ("GET", "compute/jobs/perlmutter?kwargs=qos=", {}, "a kwargs filter without a value"),
        ("GET", f"utilities/ls/perlmutter/{home}/missing", {}, "ls of a missing path"),
        ("GET", f"utilities/download/perlmutter/{home}", {}, "download of a directory"),
        ("GET", "tasks/no-such-task", {}, "an unknown task"),
        ("GET", "storage/globus/transfer/no-such-id", {}, "an unknown transfer"),
        ("GET", "account/", {}, "no token"),
        ("POST", "compute/jobs/perlmutter", {"data": {"isPath": "false"}}, "submit without job"),
        ("POST", "account/groups", {"data": {"name": "g"}}, "group without repo_name"),
    ]
    with httpx.Client(base_url=facility.api_url + "/", timeout=30) as http:
        for method, path, options, what in cases:
            headers = {} if what == "no token" else auth
            response = http.request(method, path, headers=headers, **options)
            assert response.status_code < 500, (path, response.text)
            try:
                body = response.json()
            except ValueError:
                body = {}
            detail = body.get("error") or body.get("detail") if isinstance(body, dict) else body
            if isinstance(detail, list):
                detail = "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['msg']}" for d in detail)
            check(
                "facility",
                f"{what}: {method} /{path.split('?')[0]}",
                f"HTTP {response.status_code}: {detail}",
            )


@pytest.mark.parametrize(
    "nodes",
    [
        ["--nodes", "cori=3"],
        ["--nodes", "perlmutter=0"],
        ["--nodes", "perlmutter"],
        ["--nodes", "perlmutter=4", "--backend", "slurm"],
    ],
)
def test_facility_serve_node_counts(tmp_path, capsys, nodes):
    from sfapi_jupyter.cli import main

    code = main(["facility", "serve", "--state", str(tmp_path / "state"), *nodes])
    assert code == 2
    check("facility", f"sfapi-jupyter facility serve {' '.join(nodes)}", capsys.readouterr().err)


def test_bad_input_figures():
    record(SECTION, "bad inputs tried", _COUNT["tried"])
    record(SECTION, "answered without a clear message", _COUNT["unclear"], zero=True)
