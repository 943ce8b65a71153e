"""The job card's live frames, kernel side (js/src/job_card/frames.ts draws them): frames go
to the browser as binary buffers, a fresh view gets every kept frame in its snapshot, the card
keeps the last 50, and the saved notebook shows the last frame."""

from __future__ import annotations

from typing import Any

from sfapi_jupyter.client.models.jobs import JobInfo, JobState
from sfapi_jupyter.widgets import JobCard
from sfapi_jupyter.widgets.support.frames import MAX_FRAMES

from .test_widgets import from_js

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def recorded(card: JobCard) -> list[tuple[dict[str, Any], list[bytes]]]:
    sent: list[tuple[dict[str, Any], list[bytes]]] = []
    card.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]
    return sent


def frame(k: int, **extra: Any) -> dict[str, Any]:
    return {"name": f"iter_{k}.npy", "label": f"iteration {k}", "mime": "image/png", **extra}


def test_frames_travel_as_buffers_and_a_snapshot_carries_every_kept_one() -> None:
    card = JobCard(jobid="7", machine="perlmutter")
    sent = recorded(card)
    card.set_watch("out/iter_*.npy", "/home/elvis/out")
    card.add_frame(frame(1), PNG)
    card.add_frame(frame(2, error="iter_2.npy is not a .npy file (bad magic)"))
    card.add_frame(frame(3), PNG + b"3")
    assert [m["type"] for m, _ in sent] == ["frame"] * 3
    first, buffers = sent[0]
    assert first["frame"]["index"] == 1 and buffers == [PNG]
    assert "src" not in first["frame"] and sent[1][1] == []  # an error frame has no image
    assert card.frames_seen == 3
    from_js(card, {"type": "snapshot?"})
    snapshot, buffers = sent[-1]
    assert snapshot["type"] == "snapshot"
    assert [f["buffer"] for f in snapshot["frames"]] == [0, None, 1]
    assert buffers == [PNG, PNG + b"3"]


def test_the_card_keeps_the_last_frames_and_says_which_are_gone() -> None:
    card = JobCard(jobid="7", machine="perlmutter")
    sent = recorded(card)
    card.set_watch("out/*.png")
    for k in range(1, MAX_FRAMES + 6):
        card.add_frame(frame(k), PNG)
    assert len(card.frames) == MAX_FRAMES and card.frames[0]["index"] == 6
    assert sent[-1][0]["first"] == 6 and card.frames_seen == MAX_FRAMES + 5
    assert card.frame_data(MAX_FRAMES + 5) == PNG


def test_the_saved_notebook_shows_the_last_frame() -> None:
    card = JobCard(jobid="7", machine="perlmutter")
    recorded(card)
    card.set_watch("out/iter_*.npy", "/home/elvis/out")
    assert "No frame" not in card.summary_html()
    card.add_frame(frame(1), PNG)
    card.add_frame(frame(2, note="stack of 3: the last image"), PNG + b"2")
    card.set_job(JobInfo(jobid="7", state=JobState.COMPLETED, exit_code=0))
    html = card.summary_html()
    assert "out/iter_*.npy in /home/elvis/out: 2 frames" in html
    assert "frame 2: iter_2.npy · iteration 2 · stack of 3: the last image" in html
    assert html.count("data:image/png;base64,") == 1
    assert card.last_frame["name"] == "iter_2.npy"
    assert card.last_frame["src"].startswith("data:image/png;base64,")
    assert "path" in card.last_frame and card.frames[-1]["size"] == len(PNG) + 1


def test_no_frames_section_without_watch() -> None:
    card = JobCard(jobid="7", machine="perlmutter")
    assert 'data-section="frames"' not in card.summary_html()
    card.set_frames_note("no file matched out/iter_*.npy in /home/elvis/out", "warning")
    card.set_watch("out/iter_*.npy", "/home/elvis/out")
    assert "no file matched out/iter_*.npy in /home/elvis/out" in card.summary_html()
