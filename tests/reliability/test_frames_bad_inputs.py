"""Bad inputs to live frames (``%%sfjob --watch``), each with the message the user sees,
recorded for docs/bad-inputs.md: files that are not frames, a pattern that matches nothing, an
unsupported type, a directory glob, and the same refused when a card is attached again. Against
the local facility (real processes), with the fixtures of tests/notebook/test_frames.py."""

from __future__ import annotations

import re

import numpy as np
import pytest
from IPython.core.error import UsageError

from sfapi_jupyter.notebook import job_card, submit_job
from sfapi_jupyter.widgets.support.formatting import is_terminal

from ..notebook.conftest import data_dir as data_dir
from ..notebook.conftest import ip as ip
from ..notebook.conftest import script, wait_for
from ..notebook.test_frames import FRAMES, b64, downloads, npy
from ..notebook.test_frames import logged as logged
from ..notebook.test_frames import session as session
from ..support.figures import record_bad_input

BAD_FILES = f"""
mkdir -p bad
echo "this is text, not an array" > bad/f_1.npy
echo {b64(FRAMES[0][:5000])} | base64 -d > bad/f_4.npy
sleep 2.5
echo {b64(npy(np.zeros((2, 3, 8, 8))))} | base64 -d > bad/f_2.npy
sleep 2.5
echo {b64(FRAMES[0])} | base64 -d > bad/f_3.npy
sleep 3
"""


def test_files_that_are_not_frames_show_one_line_each_and_the_card_keeps_going(session):
    log = session
    start = len(log.seen)
    _job, card = submit_job(script(BAD_FILES, "-J badframes"), watch="bad/f_*.npy")
    wait_for(lambda: is_terminal(card.state) and card.frames_seen >= 4, 120, "four frames")
    errors = [f["error"] for f in card.frames]
    assert [f["name"] for f in card.frames] == ["f_1.npy", "f_2.npy", "f_3.npy", "f_4.npy"]
    assert errors[0].startswith("f_1.npy is not a .npy file (")
    assert errors[1] == (
        "f_2.npy: a 4-D array (2, 3, 8, 8) is not an image; save a 2-D array (y, x), an RGB "
        "image (y, x, 3) or a stack (n, y, x)"
    )
    assert errors[2] == "" and card.frame_data(3).startswith(b"\x89PNG")
    # Cut short and never finished (a job that died mid-write): said at the end, fetched once.
    assert errors[3] == f"f_4.npy is not a complete .npy file (5000 of {len(FRAMES[0])} bytes)"
    assert sorted(downloads(log, start)) == ["f_1.npy", "f_2.npy", "f_3.npy", "f_4.npy"]
    record_bad_input("widget", "--watch: a .npy frame file holding text", errors[0])
    record_bad_input("widget", "--watch: a 4-D .npy frame", errors[1])
    record_bad_input("widget", "--watch: a .npy frame the job never finished writing", errors[3])


def test_a_pattern_that_matches_nothing_says_so_when_the_job_ends(session):
    job, card = submit_job(
        script("mkdir -p run2; touch run2/result.txt", "-J nomatch"), watch="run2/iter_*.npy"
    )
    wait_for(lambda: bool(card.frames_note), 120, "the frames note")
    assert card.frames_note == (
        f"no file matched run2/iter_*.npy in {card.watch_dir} (the job wrote none there; check "
        "the pattern against the job's files)"
    )
    assert card.frames_note_level == "warning" and card.frames_seen == 0
    assert card.watch_dir.endswith("/run2")
    record_bad_input(
        "widget", "%%sfjob --watch 'run2/iter_*.npy' (the job writes none)", card.frames_note
    )
    # Reattached later (%sfjob JOBID --watch ...): the same word, and nothing fetched.
    again = job_card(job.jobid, watch="run2/iter_*.npy")
    wait_for(lambda: bool(again.frames_note), 60, "the frames note of the reattached card")
    assert again.frames_note == card.frames_note


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("'out/*.tif'", "frames are PNG, JPEG or .npy files, so the pattern must end in .png"),
        ("'out*/iter.npy'", "a wildcard in the directory part is not followed"),
        ("out/", "names a directory: add the file name pattern, e.g. 'out/iter_*.npy'"),
    ],
)
def test_a_bad_watch_pattern_is_refused_before_anything_is_submitted(ip, session, pattern, says):
    log = session
    start = len(log.seen)
    with pytest.raises(UsageError, match=re.escape(says)) as caught:
        ip.run_cell_magic("sfjob", f"--watch {pattern}", script("echo never"))
    assert log.since(start) == []  # refused before any request
    record_bad_input("magic", f"%%sfjob --watch {pattern}", f"UsageError: {caught.value}")


def test_reattaching_with_a_bad_pattern_is_refused_too(ip, session):
    with pytest.raises(UsageError, match=re.escape("the pattern must end in .png")) as caught:
        ip.run_line_magic("sfjob", "4242 --watch 'out/iter_*.h5'")
    record_bad_input("magic", "%sfjob 4242 --watch 'out/iter_*.h5'", f"UsageError: {caught.value}")
