"""Widgets refuse a card with no job, and show job output as a terminal would."""

from __future__ import annotations

import pytest

from sfapi_jupyter.widgets import JobCard, LogTail

from ..support.figures import record_bad_input


@pytest.mark.parametrize("jobid", [None, "", "  ", "None", True, 4.2, "abc"])
def test_a_job_card_needs_a_job_id(jobid):
    # Before: JobCard(jobid=None) made a card for job "None" that never left UNKNOWN.
    with pytest.raises(ValueError, match="JobCard needs jobid=, a Slurm job id such as '4242'"):
        JobCard(jobid=jobid, machine="perlmutter")
    with pytest.raises(ValueError) as caught:
        JobCard(jobid=jobid, machine="perlmutter")
    shown = f"ValueError: {caught.value}"
    record_bad_input("widget", f"JobCard(jobid={jobid!r}, machine='perlmutter')", shown)


def test_a_job_card_accepts_job_ids_as_slurm_writes_them():
    written = (4242, "4242", " 12_3 ", "12+1")
    assert [JobCard(jobid=j, machine="m").jobid for j in written] == [
        "4242",
        "4242",
        "12_3",
        "12+1",
    ]
    with pytest.raises(ValueError, match="needs machine="):
        JobCard(jobid="1", machine="")


def test_job_output_shows_no_escape_sequences_even_split_across_chunks():
    card, tail = JobCard(jobid="7", machine="m"), LogTail(title="t")
    chunks = [
        "\x1b[3",
        "1mred\x1b[0m \x1b]8;;http://x\x07li",
        "nk\x1b]8;;\x07\n",
        "\x1b]0;title\x1b\\50%\r\x1b[2K100%\n",
        "tab\there\n",
    ]
    for chunk in chunks:
        card.append_output(chunk)
        tail.append(chunk)
    assert card.output("stdout") == "red link\n100%\ntab\there\n"
    assert tail.lines == ["red link", "100%", "tab\there"]
    assert "\x1b" not in card.summary_html()
