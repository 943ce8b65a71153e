"""Batch-script checks before submit (sfapi_client issues #74 and #103)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from sfapi_jupyter import Client, JobState
from sfapi_jupyter.client._errors import ApiError, BadScriptError
from sfapi_jupyter.client.models import Outage, Project
from sfapi_jupyter.client.scripts import (
    QOS_NAMES,
    SbatchDirectives,
    ScriptIssue,
    allocation_check,
    check_script,
    default_output_path,
    node_hours,
    outage_conflicts,
    parse_directives,
    parse_time,
    prepare_script,
)
from sfapi_jupyter.facility import LocalFacility
from sfapi_jupyter.facility.sbatch import QOS_NAMES as FACILITY_QOS_NAMES
from sfapi_jupyter.facility.sbatch import expand_filename_pattern, parse_batch_script

UTC = dt.timezone.utc


def issue_74_script(account: str = "m1234", name: str = "als-recon") -> str:
    """A script built the way the ALS/Prefect users built theirs: an indented f-string."""
    return f"""
        #!/bin/bash
        #SBATCH -C cpu
        #SBATCH -q regular
        #SBATCH -A {account}
        #SBATCH --time=00:10:00
        #SBATCH -J {name}

        srun hostname
        """


def warnings_of(script: str, machine: str | None = None) -> list[str]:
    _, issues = prepare_script(script, machine)
    assert all(i.severity == "warning" for i in issues)
    return [str(i) for i in issues]


def refusal(script: str, machine: str | None = None) -> str:
    with pytest.raises(BadScriptError) as raised:
        prepare_script(script, machine)
    return str(raised.value)


# -- normalising ----------------------------------------------------------------------------


def test_indented_fstring_from_issue_74_is_dedented_and_read():
    text, warnings = prepare_script(issue_74_script(), machine="perlmutter")
    assert text.startswith("#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -q regular\n")
    assert text.endswith("\nsrun hostname\n") and "\n    " not in text
    assert warnings == []
    # sbatch's own reading (the facility's parser) now sees every directive
    options = parse_batch_script(text)
    assert (options.constraint, options.account, options.job_name) == ("cpu", "m1234", "als-recon")
    assert options.time_seconds == 600


def test_shebang_right_after_the_quotes_with_an_indented_rest():
    script = """#!/bin/bash
        #SBATCH -C gpu
        #SBATCH -t 5
        srun nvidia-smi"""
    text, warnings = prepare_script(script, machine="perlmutter")
    assert text == "#!/bin/bash\n#SBATCH -C gpu\n#SBATCH -t 5\nsrun nvidia-smi\n"
    assert warnings == []


def test_nested_indentation_inside_the_body_is_kept():
    script = "#!/bin/bash\n#SBATCH -t 5\nfor i in 1 2; do\n    echo $i\ndone\n"
    assert prepare_script(script)[0] == script


def test_dos_line_breaks_are_converted_with_a_warning():
    text, warnings = prepare_script("#!/bin/bash\r\n#SBATCH -t 5\r\nhostname\r\n")
    assert text == "#!/bin/bash\n#SBATCH -t 5\nhostname\n"
    assert [str(w) for w in warnings] == ["warning: DOS line breaks (\\r\\n) became \\n"]


# -- errors ---------------------------------------------------------------------------------


def test_missing_shebang_says_what_to_add():
    message = refusal("#SBATCH -t 5\nhostname\n")
    assert "line 1: error:" in message and "add '#!/bin/bash' as the first line" in message


def test_missing_shebang_line_counts_the_dropped_blank_lines():
    assert "line 3: error:" in refusal("\n\n#SBATCH -t 5\nhostname\n")


@pytest.mark.parametrize("script", ["", "   \n\n  "])
def test_empty_script(script):
    assert "the batch script is empty" in refusal(script)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("#SBATCH --tme=10", "unknown #SBATCH option '--tme': did you mean --time?"),
        ("#SBATCH --constrant=cpu", "did you mean --constraint?"),
        ("#SBATCH --job_name=x", "did you mean --job-name?"),
        ("#SBATCH --frobnicate", "unknown #SBATCH option '--frobnicate': see `sbatch --help`"),
        ("#SBATCH -T 10", "unknown #SBATCH option '-T': did you mean -t (--time)?"),
        ("#SBATCH --mem-per=1G", "'--mem-per' is ambiguous"),
        ("#SBATCH --time", "--time needs a value"),
        ("#SBATCH -N", "-N (--nodes) needs a value"),
        ("#SBATCH --hold=yes", "--hold takes no value"),
        ("#SBATCH cpu", "'cpu' is not an option"),
    ],
)
def test_bad_option_is_refused_with_its_line(line, expected):
    message = refusal(f"#!/bin/bash\n#SBATCH -t 5\n{line}\nhostname\n")
    assert "line 3: error:" in message
    assert expected in message


def test_error_line_numbers_are_those_of_the_indented_script():
    script = issue_74_script().replace("--time=00:10:00", "--tiem=00:10:00")
    message = refusal(script)
    assert "line 6: error: unknown #SBATCH option '--tiem': did you mean --time?" in message
    assert script.split("\n")[5].strip() == "#SBATCH --tiem=00:10:00"


@pytest.mark.parametrize("value", ["1h", "90m", "1:2:3:4", "-5", "1-", "ten"])
def test_bad_time_names_the_line_and_the_formats(value):
    message = refusal(f"#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t {value}\nhostname\n")
    assert f"line 3: error: invalid --time '{value}'" in message
    assert "HH:MM:SS" in message and "D-HH:MM:SS" in message


def test_bad_node_count():
    assert "line 2: error: invalid --nodes 'two'" in refusal("#!/bin/bash\n#SBATCH -N two\n")


def test_every_error_is_reported_at_once():
    message = refusal("#!/bin/bash\n#SBATCH --tme=5\n#SBATCH -t 1h\n#SBATCH --nods=2\n")
    assert message.count("error:") == 3
    assert all(f"line {n}: error:" in message for n in (2, 3, 4))


def test_bad_script_error_is_an_api_error():
    with pytest.raises(ApiError):
        prepare_script("hostname")


def test_check_script_returns_errors_without_raising():
    issues = check_script("#!/bin/bash\n#SBATCH --tme=5\n")
    assert [(i.line, i.severity) for i in issues] == [(2, "error"), (None, "warning")]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30", dt.timedelta(minutes=30)),
        ("1:30", dt.timedelta(minutes=1, seconds=30)),
        ("01:30:00", dt.timedelta(hours=1, minutes=30)),
        ("2-00", dt.timedelta(days=2)),
        ("1-12:30", dt.timedelta(days=1, hours=12, minutes=30)),
        ("1-0:0:1", dt.timedelta(days=1, seconds=1)),
        ("UNLIMITED", None),
        ("0", None),
    ],
)
def test_time_formats_agree_with_sbatch(value, expected):
    assert parse_time(value) == expected
    seconds = parse_batch_script(f"#!/bin/bash\n#SBATCH -t {value}\n").time_seconds
    assert seconds == (expected.total_seconds() if expected else None)


# -- warnings -------------------------------------------------------------------------------


def test_directive_after_the_first_command_is_ignored_and_said_so():
    script = "#!/bin/bash\n#SBATCH -t 5\nmodule load python\n#SBATCH -N 4\nsrun x\n"
    warnings = warnings_of(script)
    assert len(warnings) == 1
    assert warnings[0].startswith("line 4: warning: #SBATCH after the first command (line 3)")
    assert "silently ignored by Slurm" in warnings[0]
    assert parse_directives(script).nodes is None


@pytest.mark.parametrize(
    "lookalike", ["# SBATCH -N 2", "#sbatch -N 2", "##SBATCH -N 2", "#SBATCH--nodes=2"]
)
def test_lookalike_directives_are_ignored_and_said_so(lookalike):
    script = f"#!/bin/bash\n#SBATCH -t 5\n{lookalike}\nhostname\n"
    warnings = warnings_of(script)
    assert len(warnings) == 1 and warnings[0].startswith("line 3: warning:")
    assert "ignored by sbatch" in warnings[0] and "'#SBATCH' at the very start" in warnings[0]
    assert parse_directives(script).nodes is None
    assert parse_batch_script(prepare_script(script)[0]).nodes_given is False  # sbatch agrees


def test_a_directive_left_indented_after_dedent_is_a_lookalike():
    script = "    #!/bin/bash\n    #SBATCH -t 5\n      #SBATCH -N 2\n    hostname\n"
    warnings = warnings_of(script)
    assert len(warnings) == 1 and warnings[0].startswith("line 3: warning: '#SBATCH -N 2'")


def test_plain_comments_are_not_lookalikes():
    script = "#!/bin/bash\n#SBATCH -t 5\n# submit with sbatch\n# the SBATCH lines above\nls\n"
    assert warnings_of(script) == []


def test_missing_constraint_on_perlmutter_only():
    script = "#!/bin/bash\n#SBATCH -t 5\nhostname\n"
    (warning,) = warnings_of(script, "perlmutter")
    assert "no -C/--constraint" in warning and "No architecture specified" in warning
    assert "#SBATCH -C cpu" in warning
    assert warnings_of(script) == []
    assert warnings_of(script.replace("-t 5", "-t 5 --constraint=gpu"), "perlmutter") == []


def test_missing_time_says_the_default_is_the_partition_maximum():
    (warning,) = warnings_of("#!/bin/bash\n#SBATCH -C cpu\nhostname\n", "perlmutter")
    assert warning.startswith("warning: no -t/--time") and "maximum time limit" in warning


def test_unlimited_time_is_not_a_missing_time():
    assert warnings_of("#!/bin/bash\n#SBATCH -t UNLIMITED\nhostname\n") == []


def test_unknown_qos_suggests_the_closest():
    (warning,) = warnings_of("#!/bin/bash\n#SBATCH -t 5\n#SBATCH -q reguler\nls\n")
    assert warning.startswith("line 3: warning: -q/--qos 'reguler' is not a NERSC QOS")
    assert "did you mean 'regular'?" in warning and "premium" in warning


def test_the_client_warns_of_the_qos_names_the_facility_refuses():
    # Two copies by design (the client may not import the facility): they must not drift.
    assert QOS_NAMES == FACILITY_QOS_NAMES


@pytest.mark.parametrize("qos", QOS_NAMES)
def test_nersc_qos_names_pass(qos):
    assert warnings_of(f"#!/bin/bash\n#SBATCH -t 5 -q {qos}\nls\n") == []


@pytest.mark.parametrize("spec", ["0-9", "1,3,5", "0-15:4", "0-99%10", "7"])
def test_valid_arrays_pass(spec):
    assert warnings_of(f"#!/bin/bash\n#SBATCH -t 5 --array={spec}\nls\n") == []


@pytest.mark.parametrize("spec", ["9-0", "1-", "a-b", "0-10:0", "0-9%0", "1,,2"])
def test_invalid_arrays_warn(spec):
    (warning,) = warnings_of(f"#!/bin/bash\n#SBATCH -t 5\n#SBATCH -a {spec}\nls\n")
    assert warning.startswith(f"line 3: warning: invalid --array '{spec}'")


def test_perlmutter_policy_hints_for_the_no_policy_error():
    debug = warnings_of(
        "#!/bin/bash\n#SBATCH -C cpu -t 1:00:00\n#SBATCH -q debug\nls\n", "perlmutter"
    )
    assert debug == [
        "line 3: warning: debug allows 30 minutes: NERSC refuses it with "
        '"Job request does not match any supported policy"'
    ]
    shared = warnings_of("#!/bin/bash\n#SBATCH -C cpu -t 10 -q shared -N 2\nls\n", "perlmutter")
    assert len(shared) == 1 and "shared allows one node" in shared[0]
    long = warnings_of("#!/bin/bash\n#SBATCH -C cpu\n#SBATCH -t 3-00:00:00\nls\n", "perlmutter")
    assert len(long) == 1 and long[0].startswith("line 3: warning: more than 48 hours")


def test_script_issue_str():
    assert str(ScriptIssue(5, "warning", "x")) == "line 5: warning: x"
    assert str(ScriptIssue(None, "error", "y")) == "error: y"


# -- directives -----------------------------------------------------------------------------


def test_parse_directives_reads_every_field_and_its_line():
    d = parse_directives(
        "#!/bin/bash\n"
        "#SBATCH -J sim -o out/%j.log --error=err.log\n"
        "#SBATCH --time=2:00:00 -N 3-5 -A m1234\n"
        "#SBATCH -q premium -C gpu --array=0-3 -D run\n"
        '#SBATCH --exclusive --mail-type=END --comment "two words"  # trailing comment\n'
        "#SBATCH -J sim2\n"
        "srun sim\n"
    )
    assert (d.job_name, d.output, d.error) == ("sim2", "out/%j.log", "err.log")
    assert (d.time, d.nodes, d.account) == (dt.timedelta(hours=2), 3, "m1234")
    assert (d.qos, d.constraint, d.array, d.chdir) == ("premium", "gpu", "0-3", "run")
    assert d.other == {"exclusive": "", "mail-type": "END", "comment": "two words"}
    assert d.lines["job-name"] == 6 and d.lines["time"] == 3 and d.lines["chdir"] == 4
    assert d.lines["comment"] == 5


def test_parse_directives_accepts_unique_prefixes_and_never_raises():
    assert parse_directives("#!/bin/bash\n#SBATCH --const=cpu --ti=5\n").constraint == "cpu"
    d = parse_directives("#SBATCH --tme=5\n#SBATCH -t 1h -J ok\n")
    assert d.time is None and d.lines["time"] == 2


# -- output paths ---------------------------------------------------------------------------


def directives(*options: str) -> SbatchDirectives:
    return parse_directives("#!/bin/bash\n" + "".join(f"#SBATCH {o}\n" for o in options))


def test_default_output_is_slurm_jobid_in_the_submit_directory():
    assert default_output_path(directives(), 42, "/home/e/elvis") == "/home/e/elvis/slurm-42.out"
    assert default_output_path(directives(), 42, "/w", error=True) == "/w/slurm-42.out"


def test_default_output_of_an_array_task():
    d = directives("--array=0-3")
    path = default_output_path(d, 1043, "/w", array_job_id=1040, array_task_id=3)
    assert path == "/w/slurm-1040_3.out"
    assert default_output_path(d, 1040, "/w") == "/w/slurm-1040_%a.out"


def test_output_patterns_expand_like_sbatch():
    d = directives("-J sim", "-o logs/%x-%u-%j.%4a.100%%", "-e /scratch/%x.err")
    assert default_output_path(d, 7, "/w", user="elvis") == "/w/logs/sim-elvis-7.4294967294.100%"
    assert default_output_path(d, 7, "/w", error=True) == "/scratch/sim.err"


def test_chdir_moves_relative_output_and_backslash_stops_expansion():
    assert default_output_path(directives("-D run"), 5, "/w") == "/w/run/slurm-5.out"
    assert default_output_path(directives("-D /abs", "-o o.%j"), 5, "/w") == "/abs/o.5"
    assert default_output_path(directives(r"-o 'a\%j'"), 5, "/w") == "/w/a%j"


@pytest.mark.parametrize("pattern", ["%x_%j.out", "%A-%a.txt", "job%5j", "%u/%N.log", "100%%"])
def test_expansion_matches_the_facility(pattern):
    d = directives("-J sim", f"-o {pattern}")
    ours = default_output_path(d, 12, "/w", user="elvis")
    theirs = expand_filename_pattern(pattern, jobid=12, name="sim", user="elvis")
    assert ours == f"/w/{theirs}"


# -- planning -------------------------------------------------------------------------------

NOW = dt.datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
HOUR = dt.timedelta(hours=1)


def outage(name: str, start: dt.datetime | None, end: dt.datetime | None) -> Outage:
    return Outage(name=name, start_at=start, end_at=end, status="Planned")


def test_outage_conflicts_at_the_edges():
    outages = [
        outage("starts-as-job-ends", NOW + 2 * HOUR, NOW + 3 * HOUR),
        outage("ended-as-job-starts", NOW - HOUR, NOW),
        outage("starts-a-second-early", NOW + 2 * HOUR - dt.timedelta(seconds=1), NOW + 5 * HOUR),
        outage("ends-a-second-late", NOW - HOUR, NOW + dt.timedelta(seconds=1)),
        outage("open-ended", NOW + HOUR, None),
        outage("covers-all", NOW - HOUR, NOW + 9 * HOUR),
        outage("unscheduled", None, None),
        outage("tomorrow", NOW + 24 * HOUR, NOW + 30 * HOUR),
    ]
    names = [o.name for o in outage_conflicts(outages, 2 * HOUR, NOW)]
    assert names == ["starts-a-second-early", "ends-a-second-late", "open-ended", "covers-all"]


def test_outage_conflicts_default_and_naive_now():
    soon = outage("soon", dt.datetime.now(UTC) + dt.timedelta(minutes=30), None)
    assert outage_conflicts([soon], HOUR) == [soon]
    assert outage_conflicts([soon], dt.timedelta(minutes=10)) == []
    naive_now = dt.datetime.now()
    assert outage_conflicts([soon], HOUR, naive_now) == [soon]


def test_node_hours():
    assert node_hours(directives("-N 4", "-t 1:30:00")) == 6.0
    assert node_hours(directives("-t 30")) == 0.5
    assert node_hours(directives("-N 2", "-t 60", "--array=0-9")) == 20.0
    assert node_hours(directives("-N 2"), default_time=3 * HOUR) == 6.0
    with pytest.raises(ValueError, match="no --time"):
        node_hours(directives("-N 2"))


def project(**hours: float) -> Project:
    return Project(id=1, description="", repo_name="m1234", **hours)


def test_allocation_check_cpu():
    proj = project(cpu_hours_given=100, cpu_hours_used=90, gpu_hours_given=1000, gpu_hours_used=0)
    assert allocation_check(directives("-C cpu", "-N 2", "-t 5:00:00"), proj) is None
    issue = allocation_check(directives("-A m1234", "-C cpu", "-N 4", "-t 5:00:00"), proj)
    assert issue is not None and issue.line == 2 and issue.severity == "warning"
    assert issue.message == "the job may use 20.0 CPU node-hours but project m1234 has 10.0 left"


def test_allocation_check_gpu_uses_gpu_hours():
    proj = project(cpu_hours_given=1000, cpu_hours_used=0, gpu_hours_given=5, gpu_hours_used=5)
    issue = allocation_check(directives("-C gpu&hbm80g", "-t 10"), proj)
    assert issue is not None and "no GPU node-hours left" in issue.message
    assert allocation_check(directives("-C cpu", "-t 10"), proj) is None


def test_allocation_check_when_it_cannot_tell():
    proj = project(cpu_hours_given=1, cpu_hours_used=1)
    assert allocation_check(directives("-C cpu"), proj) is None  # no time
    assert allocation_check(directives("-C gpu", "-t 60"), proj) is None  # no GPU balance
    fallback = project(hours_given=1, hours_used=0.5)
    issue = allocation_check(directives("-C gpu", "-t 60"), fallback)
    assert (
        issue is not None and "1.0 GPU node-hours" in issue.message and "0.5 left" in issue.message
    )


# -- through the client ---------------------------------------------------------------------


@pytest.fixture
def client(tmp_path) -> Iterator[Client]:
    with LocalFacility(
        state_dir=tmp_path / "s", min_pending_seconds=0.3, scheduler_interval=0.05
    ) as fac:
        creds = fac.create_client("elvis")
        with Client(
            api_base_url=fac.api_url,
            token_url=fac.token_url,
            client_id=creds.client_id,
            key=creds.private_key_pem,
        ) as c:
            yield c


def test_indented_script_submits_and_its_output_is_where_we_say(client):
    machine = client.compute("perlmutter")
    script = (
        issue_74_script()
        .replace("#SBATCH -A m1234\n", "")
        .replace("srun hostname", "echo hello from $SLURM_JOB_NAME")
    )
    job = machine.submit(script)
    job.wait(60)
    assert job.state is JobState.COMPLETED
    assert job.info.work_dir  # where sbatch ran: the user's home for an API submit
    path = default_output_path(parse_directives(script), job.jobid, job.info.work_dir)
    assert machine.files.download(path, binary=False) == "hello from als-recon\n"


def test_unknown_option_is_refused_before_any_request(client):
    machine = client.compute("perlmutter")
    machine.status()  # authenticate first, so only a submit could add requests
    before = client.aio.request_count
    with pytest.raises(BadScriptError, match=r"line 3: .*did you mean --time\?"):
        machine.submit("#!/bin/bash\n#SBATCH -C cpu\n#SBATCH --tiem=5\nhostname\n")
    assert client.aio.request_count == before
