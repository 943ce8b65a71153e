"""Live frames (``%%sfjob --watch``) against the local facility (real processes): a job writes
four ``.npy`` frames, some by rename and one slowly in five pieces; the card shows them while
the job runs, in order, each whole, each file fetched once (downloads counted at the facility)
and nothing fetched after the end but possibly the last; an earlier run's files in the same
directory are left out; PNG frames from the magic. The bad inputs, each with the message the
user sees, are in tests/reliability/test_frames_bad_inputs.py (recorded for the docs)."""

from __future__ import annotations

import base64
import io
import posixpath
from collections.abc import Iterator

import numpy as np
import pytest

from sfapi_jupyter.facility.server import LocalFacility
from sfapi_jupyter.notebook import submit_job
from sfapi_jupyter.notebook.controllers import controller_of
from sfapi_jupyter.notebook.frames import frame_image
from sfapi_jupyter.notebook.session import get_client, set_client
from sfapi_jupyter.widgets.support.formatting import is_terminal
from sfapi_jupyter.widgets.support.mainthread import dispatcher

from ..support.facility import fast_config, make_client
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


def test_an_earlier_runs_frames_in_the_same_directory_are_left_out(session):
    """A re-run writes into the directory the last run filled: only what this job writes is
    shown (the last run's iter_2 and iter_3 are not), and a file it writes again is."""
    log = session
    old = b64(FRAMES[3])
    get_client().compute("perlmutter").run(
        f"mkdir -p rerun && for k in 1 2 3; do echo {old} | base64 -d > rerun/iter_$k.npy; done"
        " && touch -d '1 hour ago' rerun/iter_*.npy",
        check=True,
    )
    start = len(log.seen)
    body = (
        f"sleep 1.5\necho {b64(FRAMES[0])} | base64 -d > rerun/.t && mv rerun/.t rerun/iter_1.npy\n"
        "sleep 3\n"
    )
    _job, card = submit_job(script(body, "-J rerun"), watch="rerun/iter_*.npy")
    notes: list[str] = []
    card.observe(lambda change: notes.append(change["new"]), names="frames_note")
    wait_for(lambda: is_terminal(card.state) and card.frames_seen == 1, 120, "this run's frame")
    assert [f["name"] for f in card.frames] == ["iter_1.npy"]
    assert card.frame_data(1) == frame_image("iter_1.npy", FRAMES[0])[0]  # this run's, not the old
    said = "file(s) written before this job started were left out"
    assert notes[-1] == (
        f"2 {said} (iter_2.npy, iter_3.npy): an earlier run's; shown if this job writes them again"
    ), notes
    assert f"3 {said} (iter_1.npy, iter_2.npy, iter_3.npy)" in notes[0], notes  # before it wrote
    assert downloads(log, start) == ["iter_1.npy"]  # the earlier files are never fetched


def test_the_magic_watches_png_frames(ip, session):
    from sfapi_jupyter.notebook.previews import png_bytes

    picture = png_bytes(np.full((6, 9, 3), 200, np.uint8))
    body = f"mkdir -p w3\necho {b64(picture)} | base64 -d > w3/iter_7.png\nsleep 3\n"
    card = ip.run_cell_magic("sfjob", "--watch 'w3/iter_*.png' --out watched", script(body))
    assert card.watch_pattern == "w3/iter_*.png"  # the quotes a shell user writes are dropped
    wait_for(lambda: card.frames_seen == 1 and is_terminal(card.state), 120, "the PNG frame")
    assert card.frames[0]["mime"] == "image/png" and card.frames[0]["label"] == "iteration 7"
    assert card.frame_data(1) == picture  # a PNG goes to the browser as it is
