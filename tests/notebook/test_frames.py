"""Live frames (``%%sfjob --watch``) against the local facility (real processes): a job writes
four ``.npy`` frames, some by rename and one slowly in five pieces; the card shows them while
the job runs, in order, each whole, each file fetched once (downloads counted at the facility)
and nothing fetched after the end but possibly the last. And the bad inputs, each with the
message the user sees: a pattern that matches nothing, an unsupported type, a directory
glob, files that are not frames."""

from __future__ import annotations

import base64
import io
import posixpath
import re
from collections.abc import Iterator

import numpy as np
import pytest
from IPython.core.error import UsageError

from sfapi_jupyter.facility.server import LocalFacility
from sfapi_jupyter.notebook import job_card, submit_job
from sfapi_jupyter.notebook.controllers import controller_of
from sfapi_jupyter.notebook.frames import frame_image
from sfapi_jupyter.notebook.session import set_client
from sfapi_jupyter.widgets.support.formatting import is_terminal
from sfapi_jupyter.widgets.support.mainthread import dispatcher

from ..support.facility import fast_config, make_client
from ..support.figures import record_bad_input
from ..support.request_log import API, RequestLog, log_requests
from .conftest import script, wait_for

DOWNLOAD = f"{API}/utilities/download/perlmutter/"
LS = f"{API}/utilities/ls/perlmutter/"


def npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


FRAMES = [npy(np.outer(np.arange(48), np.ones(48)).astype(np.float32) * k) for k in (1, 2, 3, 4)]

# Frame 1 written in one go, 2 and 4 written beside and renamed, 3 written in five pieces half
# a second apart (a look every second sees it grow: it must not be shown before it is whole).
WRITER = f"""
mkdir -p out
echo {b64(FRAMES[0])} | base64 -d > out/iter_1.npy
echo "not a frame" > out/notes.txt
sleep 2.5
echo {b64(FRAMES[1])} | base64 -d > out/.iter_2.tmp && mv out/.iter_2.tmp out/iter_2.npy
sleep 2.5
echo {b64(FRAMES[2])} | base64 -d > stage3.bin
n=$(stat -c %s stage3.bin); k=$(( (n + 4) / 5 ))
for i in 0 1 2 3 4; do
  dd if=stage3.bin of=out/iter_3.npy bs=$k skip=$i seek=$i count=1 conv=notrunc status=none
  sleep 0.5
done
sleep 2
echo {b64(FRAMES[3])} | base64 -d > out/iter_4.tmp && mv out/iter_4.tmp out/iter_4.npy
sleep 3
echo done
"""


@pytest.fixture(scope="module")
def logged(tmp_path_factory) -> Iterator[tuple[LocalFacility, RequestLog]]:
    log = RequestLog()
    config = fast_config(tmp_path_factory.mktemp("frames"))
    with log_requests(LocalFacility(config), log) as facility:
        yield facility, log


@pytest.fixture
def session(logged, data_dir) -> Iterator[RequestLog]:
    facility, log = logged
    sync = make_client(facility, facility.create_client("frida"))
    set_client(sync)
    yield log
    set_client(None)
    sync.close()
    dispatcher().drain()


def downloads(log: RequestLog, start: int = 0) -> list[str]:
    return [posixpath.basename(r.path) for r in log.since(start) if r.path.startswith(DOWNLOAD)]


def test_frames_appear_while_the_job_runs_in_order_whole_and_fetched_once(session):
    log = session
    start = len(log.seen)
    _job, card = submit_job(script(WRITER, "-J frames"), watch="out/iter_*.npy")
    assert card.watch_pattern == "out/iter_*.npy"
    at_end: dict[str, int] = {}

    def on_state(change) -> None:  # on the main thread, in order with the frames
        if is_terminal(change["new"]) and not at_end:
            at_end.update(frames=card.frames_seen, requests=len(log.seen))

    card.observe(on_state, names="state")
    wait_for(lambda: is_terminal(card.state), timeout=120, what="the job to end")
    feed = controller_of(card)
    wait_for(lambda: feed is None or not feed.running, timeout=60, what="the card's feed")

    assert card.state == "COMPLETED"
    assert card.watch_dir.endswith("/out")
    names = [f["name"] for f in card.frames]
    assert names == ["iter_1.npy", "iter_2.npy", "iter_3.npy", "iter_4.npy"]
    assert [f["label"] for f in card.frames] == [f"iteration {k}" for k in (1, 2, 3, 4)]
    assert all(not f["error"] for f in card.frames), card.frames
    # Each frame is the whole file's image: never a half-written one.
    for meta, data in zip(card.frames, FRAMES, strict=True):
        assert card.frame_data(meta["index"]) == frame_image(meta["name"], data)[0]
    # At least three arrived while the job ran (the card saw them before its end).
    assert at_end["frames"] >= 3, at_end
    # Each file fetched once (iter_3 too, though it was seen growing); nothing else fetched.
    fetched = downloads(log, start)
    assert sorted(fetched) == names, fetched
    after_end = downloads(log, at_end["requests"])
    assert after_end in ([], ["iter_4.npy"]), after_end
    # One listing per look, of the pattern's directory only.
    listings = [r.path for r in log.since(start) if r.path.startswith(LS)]
    assert listings and all(p.endswith("/out") for p in listings), set(listings)
    assert feed is None or len(listings) == feed.frames.looks
    down_bytes = sum(r.sent for r in log.since(start) if r.path.startswith(DOWNLOAD))
    ls_bytes = sum(r.sent for r in log.since(start) if r.path.startswith(LS))
    print(  # the figures for the report (pytest -s)
        f"frames: {len(names)} shown, {at_end['frames']} before the end; "
        f"{len(fetched)} downloads ({down_bytes} B), {len(listings)} listings ({ls_bytes} B)"
    )
    html = card.summary_html()
    assert 'data-section="frames"' in html and "data:image/png;base64," in html
    assert "frame 4: iter_4.npy · iteration 4" in html
    assert card.last_frame["name"] == "iter_4.npy" and card.last_frame["src"].startswith("data:")


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


def test_the_magic_watches_png_frames(ip, session):
    from sfapi_jupyter.notebook.previews import png_bytes

    picture = png_bytes(np.full((6, 9, 3), 200, np.uint8))
    body = f"mkdir -p w3\necho {b64(picture)} | base64 -d > w3/iter_7.png\nsleep 3\n"
    card = ip.run_cell_magic("sfjob", "--watch 'w3/iter_*.png' --out watched", script(body))
    assert card.watch_pattern == "w3/iter_*.png"  # the quotes a shell user writes are dropped
    wait_for(lambda: card.frames_seen == 1 and is_terminal(card.state), 120, "the PNG frame")
    assert card.frames[0]["mime"] == "image/png" and card.frames[0]["label"] == "iteration 7"
    assert card.frame_data(1) == picture  # a PNG goes to the browser as it is
