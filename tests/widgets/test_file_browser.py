"""``FileBrowser`` as a state holder: listings, selection, actions, snapshot, static summary."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfapi_jupyter.client.models.files import RemoteEntry
from sfapi_jupyter.widgets import FileBrowser
from sfapi_jupyter.widgets.file_browser import entry_row, human_size


def record(widget: Any) -> list[tuple[dict[str, Any], Any]]:
    sent: list[tuple[dict[str, Any], Any]] = []
    widget.send = lambda content, buffers=None: sent.append((content, buffers))
    return sent


def entries(n: int, folder: str = "/home/elvis") -> list[RemoteEntry]:
    return [
        RemoteEntry(
            name=f"f{i:05d}.dat",
            path=f"{folder}/f{i:05d}.dat",
            perms="-rw-r--r--",
            size=i * 10,
            user="elvis",
            group="elvis",
            date="2026-05-02T18:10:51",
        )
        for i in range(n)
    ]


# -- the widget ---------------------------------------------------------------------------------
def test_a_listing_of_ten_thousand_entries_is_one_compact_message() -> None:
    browser = FileBrowser(machine="perlmutter", path="/home/elvis")
    sent = record(browser)
    browser.show_listing("/home/elvis", entries(10_000))
    assert len(sent) == 1
    content, _ = sent[0]
    assert content["type"] == "listing" and content["path"] == "/home/elvis"
    assert content["entries"][1] == [
        "f00001.dat",
        "f",
        10,
        "2026-05-02T18:10:51",
        "-rw-r--r--",
        "elvis",
        "elvis",
        "",
    ]
    assert browser.entry_count == 10_000 and not browser.loading
    assert len(json.dumps(content)) < 1_000_000  # one message, about 70 bytes an entry


def test_symlinks_and_directories_in_rows() -> None:
    link = RemoteEntry(name="latest", path="/h/latest", perms="lrwxrwxrwx", target="run42/")
    folder = RemoteEntry(name="run42", path="/h/run42", perms="drwxr-xr-x", size=4096)
    assert entry_row(link)[1] == "l" and entry_row(link)[7] == "run42/"
    assert entry_row(folder)[1] == "d"


def test_selection_outside_the_new_directory_is_dropped() -> None:
    browser = FileBrowser(machine="perlmutter", path="/a")
    browser.selected = ["/a/x", "/b/y"]
    browser.show_listing("/a", [])
    assert browser.selected == ["/a/x"]
    browser.show_listing("/b", [])
    assert browser.selected == []


def test_actions_reach_their_callbacks_and_unknown_ones_are_refused() -> None:
    browser = FileBrowser(machine="perlmutter")
    opened: list[dict[str, Any]] = []
    browser.on("open", opened.append)
    browser._handle_custom_msg({"type": "open", "path": "/tmp"}, [])
    browser._handle_custom_msg({"type": "bogus"}, [])
    assert opened == [{"type": "open", "path": "/tmp"}]
    with pytest.raises(
        ValueError, match="FileBrowser has no action 'delete'; its actions: open, refresh"
    ):
        browser.on("delete", opened.append)


def test_snapshot_resends_listing_and_preview() -> None:
    browser = FileBrowser(machine="perlmutter", path="/h")
    browser.show_listing("/h", entries(3, "/h"))
    browser.show_preview({"kind": "image", "path": "/h/a.png", "mime": "image/png"}, [b"png"])
    sent = record(browser)
    browser._handle_custom_msg({"type": "snapshot?"}, [])
    assert [c["type"] for c, _ in sent] == ["snapshot", "preview"]
    assert len(sent[0][0]["listing"]["entries"]) == 3 and sent[1][1] == [b"png"]


def test_static_summary_for_a_saved_notebook() -> None:
    browser = FileBrowser(machine="perlmutter", path="/h")
    folder = RemoteEntry(name="zz", path="/h/zz", perms="drwxr-xr-x")
    link = RemoteEntry(
        name="a-latest.png", path="/h/a-latest.png", perms="lrwxrwxrwx", target="a.png"
    )
    rows = [*entries(40, "/h"), folder, link]
    browser.show_listing("/h", rows)
    browser.selected = ["/h/f00001.dat"]
    browser.show_error("Cannot open /h/gone: No such file or directory")
    html = browser.summary_html()
    assert html.index("zz") < html.index("f00000.dat")  # folders first
    assert "→ a.png" in html and "… and 12 more" in html and "/h/f00001.dat" in html
    assert "Cannot open /h/gone" in html
    assert browser.summary_text() == "FileBrowser perlmutter:/h (42 entries, 1 selected)"


SIZES = [
    (0, "0 B"),
    (1023, "1023 B"),
    (1536, "1.5 KiB"),
    (12 * 1024**2, "12.0 MiB"),
    (3 * 1024**4, "3.0 TiB"),
]


@pytest.mark.parametrize(("size", "text"), SIZES)
def test_human_sizes(size: int, text: str) -> None:
    assert human_size(size) == text
