"""sbatch's reading of batch scripts, its error texts, output names and NERSC's policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfapi_jupyter.client.scripts._directives import parse_time as client_parse_time
from sfapi_jupyter.facility.models import FacilityUser, SbatchError
from sfapi_jupyter.facility.sbatch import (
    check_policy,
    default_output_name,
    expand_filename_pattern,
    parse_batch_script,
    parse_time,
)

TRY = 'Try "sbatch --help" for more information'


def script(*directives: str, body: str = "echo hi\n") -> str:
    return "#!/bin/bash\n" + "".join(f"#SBATCH {d}\n" for d in directives) + body


def error_of(text: str, args: list[str] | None = None) -> str:
    with pytest.raises(SbatchError) as info:
        parse_batch_script(text, args)
    return str(info.value)


def test_all_spellings_of_an_option_are_read() -> None:
    opts = parse_batch_script(
        script("--job-name=alpha", "-o out.txt", "-eerr.txt", "--nodes 2", "-t 10", "-C cpu")
    )
    assert opts.job_name == "alpha"
    assert opts.output == "out.txt"
    assert opts.error == "err.txt"
    assert opts.nodes == 2
    assert opts.time_seconds == 600
    assert opts.constraint == "cpu"


def test_many_options_land_in_their_fields() -> None:
    opts = parse_batch_script(
        script(
            "-A m1234 -q debug -p regular -n 8 -c 4 --ntasks-per-node=4",
            "--mem=4G --mem-per-cpu=1000 -G 4 --gpus-per-node=4 --gpus-per-task=1",
            "--exclusive --mail-type=END,FAIL --mail-user=a@b.c -L scratch,cfs",
            "--open-mode=append --signal=B:USR1@60 --comment='two words'",
            "--export=ALL,FOO=bar --no-requeue -S 2 --begin=now+60 -x nid001 -w nid002",
            "--image=docker:ubuntu:22.04 --module=gpu -D /tmp/work",
        )
    )
    assert (opts.account, opts.qos, opts.partition) == ("m1234", "debug", "regular")
    assert (opts.ntasks, opts.cpus_per_task, opts.ntasks_per_node) == (8, 4, 4)
    assert (opts.mem, opts.mem_per_cpu) == ("4G", "1000")
    assert (opts.gpus, opts.gpus_per_node, opts.gpus_per_task) == ("4", "4", "1")
    assert opts.exclusive is True
    assert (opts.mail_type, opts.mail_user, opts.licenses) == ("END,FAIL", "a@b.c", "scratch,cfs")
    assert (opts.open_mode, opts.signal, opts.comment) == ("append", "B:USR1@60", "two words")
    assert (opts.export, opts.requeue, opts.core_spec) == ("ALL,FOO=bar", False, 2)
    assert (opts.begin, opts.exclude, opts.nodelist) == ("now+60", "nid001", "nid002")
    assert (opts.image, opts.module, opts.chdir) == ("docker:ubuntu:22.04", "gpu", "/tmp/work")
    assert opts.cpus == 32


def test_directives_after_the_first_command_are_ignored() -> None:
    text = script("-J first", body="\n# a comment\n#SBATCH -N 2\necho hi\n#SBATCH -J late\n")
    opts = parse_batch_script(text)
    assert (opts.job_name, opts.nodes) == ("first", 2)


def test_command_line_options_override_the_script() -> None:
    opts = parse_batch_script(script("-J inscript", "-t 5"), ["--job-name", "cli", "-t1:00"])
    assert (opts.job_name, opts.time_seconds) == ("cli", 60)


def test_unique_long_prefixes_work_like_getopt() -> None:
    assert parse_batch_script(script("--job=abbrev")).job_name == "abbrev"
    assert "is ambiguous" in error_of(script("--ex=1"))


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("10", 600),
        ("10:30", 630),
        ("1:02:03", 3723),
        ("2-3", 2 * 86400 + 3 * 3600),
        ("2-3:04", 2 * 86400 + 3 * 3600 + 4 * 60),
        ("2-3:04:05", 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
        ("0:02", 2),
        ("UNLIMITED", None),
        ("infinite", None),
        ("0", None),
    ],
)
def test_time_formats(text: str, seconds: int | None) -> None:
    assert parse_time(text) == seconds


def test_time_limit_in_minutes_rounds_up_like_slurm() -> None:
    assert parse_batch_script(script("-t 0:02")).time_limit_minutes == 1
    assert parse_batch_script(script("-t 90:30")).time_limit_minutes == 91
    unlimited = parse_batch_script(script("-t UNLIMITED"))
    assert unlimited.time_unlimited and unlimited.time_limit_minutes is None


@pytest.mark.parametrize("bad", ["abc", "1:2:3:4", "-5", "inf", "1-", "1h"])
def test_bad_time_is_refused_with_sbatch_message(bad: str) -> None:
    assert error_of(script(f"--time={bad}")) == "sbatch: error: Invalid --time specification"


def test_nodes_range_and_bad_node_count() -> None:
    opts = parse_batch_script(script("-N 2-4"))
    assert (opts.nodes, opts.nodes_max) == (2, 4)
    assert error_of(script("-N two")) == "sbatch: error: invalid node count `two'"
    assert error_of(script("-n x")) == 'sbatch: error: Invalid numeric value "x" for --ntasks.'


def test_array_specifications() -> None:
    plain = parse_batch_script(script("--array=0-3")).array
    assert plain is not None and plain.task_ids == (0, 1, 2, 3) and plain.throttle is None
    spec = parse_batch_script(script("-a 1,3,5%2")).array
    assert spec is not None and spec.task_ids == (1, 3, 5) and spec.throttle == 2
    assert spec.step == 2
    stepped = parse_batch_script(script("--array=0-15:4")).array
    assert stepped is not None and stepped.task_ids == (0, 4, 8, 12)
    assert error_of(script("--array=5-1")) == "sbatch: error: Invalid --array specification"
    assert error_of(script("--array=0-3%0")) == "sbatch: error: Invalid --array specification"
    assert "Invalid job array specification" in error_of(script("--array=0-5000"))


def test_dependency_specifications() -> None:
    opts = parse_batch_script(script("-d afterok:11:12,afterany:13"))
    assert [(d.kind, d.jobid) for d in opts.dependencies] == [
        ("afterok", 11),
        ("afterok", 12),
        ("afterany", 13),
    ]
    assert not opts.dependency_any
    assert parse_batch_script(script("--dependency=afternotok:1?after:2")).dependency_any
    problem = "sbatch: error: Batch job submission failed: Job dependency problem"
    assert error_of(script("-d afterwards:1")) == problem
    assert error_of(script("-d afterok:")) == problem
    assert error_of(script("-d afterok:abc")) == problem


def test_unknown_options_get_getopt_messages() -> None:
    assert error_of(script("--foo")) == f"sbatch: unrecognized option '--foo'\n{TRY}"
    assert error_of(script("--foo=bar")) == f"sbatch: unrecognized option '--foo=bar'\n{TRY}"
    assert error_of(script("-Z 3")) == f"sbatch: invalid option -- 'Z'\n{TRY}"
    assert error_of(script("--time")) == f"sbatch: option '--time' requires an argument\n{TRY}"
    assert error_of(script("-t")) == f"sbatch: option requires an argument -- 't'\n{TRY}"
    assert error_of(script("--requeue=yes")) == (
        f"sbatch: option '--requeue' doesn't allow an argument\n{TRY}"
    )
    assert error_of(script("-N 1 stray")) == (
        "sbatch: error: Invalid directive found in batch script: stray"
    )


def test_script_must_start_with_a_shebang() -> None:
    message = error_of("echo hi\n#!/bin/bash\n")
    assert message == (
        "sbatch: error: This does not look like a batch script.  The first line must start "
        "with #! followed by the path to an interpreter.\n"
        "sbatch: error: For instance: #!/bin/sh"
    )
    assert error_of("") == "sbatch: error: Batch script is empty!"
    assert "DOS line breaks" in error_of("#!/bin/bash\r\necho hi\r\n")


def test_comments_and_quotes_in_directives() -> None:
    opts = parse_batch_script(script('-J "my job"  # the name', "--comment 'a # b'"))
    assert (opts.job_name, opts.comment) == ("my job", "a # b")


def test_filename_patterns() -> None:
    def expand(pattern: str, jobid: int, **kwargs: int) -> str:
        return expand_filename_pattern(
            pattern, jobid=jobid, name="sim", user="alice", nodename="nid001001", **kwargs
        )

    assert expand("slurm-%j.out", 42) == "slurm-42.out"
    assert (
        expand("%x-%A_%a-%4a-%u-%N-%%.log", 44, array_job_id=42, array_task_id=2)
        == "sim-42_2-0002-alice-nid001001-%.log"
    )
    # Without nodes yet %N stays, and a backslash switches expansion off, as in Slurm.
    assert expand_filename_pattern("o-%N-%j", jobid=7) == "o-%N-7"
    assert expand_filename_pattern("o\\-%j", jobid=7) == "o-%j"
    assert default_output_name(False) == "slurm-%j.out"
    assert default_output_name(True) == "slurm-%A_%a.out"


# -- policy ---------------------------------------------------------------------------------
USER = FacilityUser(
    name="alice",
    uid=1000,
    gid=1000,
    group="alice",
    home=Path("/h"),
    scratch=Path("/s"),
    projects=("m1234", "m5678"),
)
FAILED = "sbatch: error: Batch job submission failed:"


def policy_error(machine: str, *directives: str, nodes: int = 4) -> str | None:
    try:
        check_policy(machine, parse_batch_script(script(*directives)), USER, nodes)
    except SbatchError as exc:
        return str(exc)
    return None


def test_policy_accepts_a_normal_perlmutter_job() -> None:
    assert policy_error("perlmutter", "-C cpu", "-A m5678", "-q debug", "-N 4") is None
    assert policy_error("perlmutter", "-C gpu&hbm80g") is None
    assert policy_error("dtns", "-N 1") is None  # no constraint needed off Perlmutter


def test_policy_refusals_carry_nersc_messages() -> None:
    assert policy_error("perlmutter") == (
        "sbatch: error: No architecture specified, cannot estimate job costs.\n"
        f"{FAILED} Unspecified error"
    )
    assert policy_error("perlmutter", "-C knl") == f"{FAILED} Invalid feature specification"
    assert policy_error("perlmutter", "-C cpu", "-A m9999") == (
        f"{FAILED} Invalid account or account/partition combination specified"
    )
    assert policy_error("perlmutter", "-C cpu", "-q turbo") == f"{FAILED} Invalid qos specification"
    assert (
        policy_error("perlmutter", "-C cpu", "-N 5") == f"{FAILED} Node count specification invalid"
    )


@pytest.mark.parametrize("value", ["30", "01:30", "01:30:00", "2-00", "2-12:30", "1-00:00:01"])
def test_client_and_facility_read_a_time_limit_alike(value: str) -> None:
    # two copies of Slurm's grammar (the client may not import the facility): they must agree
    seconds = client_parse_time(value)
    assert seconds is not None and seconds.total_seconds() == parse_time(value)


@pytest.mark.parametrize("value", ["UNLIMITED", "0", "1:2:3:4", "abc", "-5", "1-", ""])
def test_client_and_facility_refuse_or_unlimit_a_time_limit_alike(value: str) -> None:
    try:
        expected = parse_time(value)
    except SbatchError:
        with pytest.raises(ValueError):
            client_parse_time(value)
    else:
        assert expected is None and client_parse_time(value) is None
