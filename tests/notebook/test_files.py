"""``%sfls``, ``%sfget``, ``%sfput`` and the file browser's session, against a local facility.

The facility here has small size limits (256 KiB), so "over the API's limit" costs little;
the user's home holds the seeded ``~/examples`` (a PNG, .npy arrays, a log, a symlink).
Each test works in its own remote directory and its own local working directory.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from IPython.core.error import UsageError

from sfapi_jupyter.facility.server import LocalFacility
from sfapi_jupyter.notebook.controllers import controller_of
from sfapi_jupyter.notebook.file_browser import BrowserSession, file_browser
from sfapi_jupyter.notebook.files import get_file, put_file
from sfapi_jupyter.widgets import FileBrowser

from ..support.facility import fast_config
from ..support.owners import give
from .conftest import wait_for

LIMIT = 256 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def session_of(browser: FileBrowser) -> BrowserSession:
    """The controller answering the browser (the one registry has it)."""
    session = controller_of(browser)
    assert isinstance(session, BrowserSession)
    return session


@pytest.fixture(scope="module")
def facility(tmp_path_factory) -> Iterator[LocalFacility]:
    config = fast_config(
        tmp_path_factory.mktemp("facility"), max_upload_bytes=LIMIT, max_download_bytes=LIMIT
    )
    with LocalFacility(config) as running:
        yield running


@pytest.fixture
def home(facility, client) -> Path:
    return facility.config.home_of("elvis")


@pytest.fixture
def remote_dir(facility, home, request) -> Path:
    """A fresh directory in elvis's home for this test."""
    folder = home / request.node.name.replace("[", "_").strip("]")
    folder.mkdir()
    give(facility, "elvis", folder)  # elvis's own folder (the test process may be root)
    return folder


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """The kernel's working directory: downloads land here, uploads come from here."""
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture(scope="module")
def mallory_file(facility) -> Path:
    facility.create_client("mallory")
    secret = facility.config.home_of("mallory") / "secret.txt"
    secret.write_text("not for elvis\n")
    return secret


def no_partial_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".part")]


# -- %sfls -------------------------------------------------------------------------------------
def test_sfls_opens_the_home_with_the_examples(ip, client, home):
    browser = ip.run_line_magic("sfls", "")
    assert isinstance(browser, FileBrowser)
    assert browser.path == str(home) and browser.home == str(home)
    assert "examples" in [e["name"] for e in browser.entries]
    assert browser.summary_text().startswith(f"FileBrowser perlmutter:{home} (")


def test_sfls_path_and_out_show_sizes_links_and_owner(ip, client, home):
    ip.run_line_magic("sfls", "~/examples --out browser")
    browser = ip.user_ns["browser"]
    rows = {e["name"]: e for e in browser.entries}
    assert browser.path == f"{home}/examples"
    assert rows["latest.png"]["kind"] == "l" and rows["latest.png"]["target"] == "detector.png"
    assert rows["detector.png"]["kind"] == "f" and rows["detector.png"]["size"] > 1000
    assert rows["detector.png"]["user"] == "elvis" and rows["detector.png"]["perms"][0] == "-"
    html = browser.summary_html()
    assert "detector.png" in html and "→ detector.png" in html and "KiB" in html


def test_sfls_of_a_file_opens_its_directory_with_it_selected_and_previewed(ip, client, home):
    browser = ip.run_line_magic("sfls", "examples/README.txt")
    path = f"{home}/examples/README.txt"
    assert browser.path == f"{home}/examples" and browser.selected == [path]
    wait_for(lambda: browser._preview and browser._preview[0]["kind"] == "text", what="preview")
    assert "Example data" in browser._preview[0]["head"][0]


def test_sfls_missing_path_says_so(ip, client):
    with pytest.raises(
        UsageError,
        match=r"^Listing ~/nothing-here failed: ls: cannot access "
        r"'.*/nothing-here': No such file or directory$",
    ):
        ip.run_line_magic("sfls", "~/nothing-here")


def test_sfls_another_users_home_is_permission_denied(ip, client, mallory_file):
    with pytest.raises(UsageError, match="Permission denied"):
        ip.run_line_magic("sfls", str(mallory_file.parent))


def test_sfls_bad_out_name(ip, client):
    with pytest.raises(UsageError, match="--out takes a Python variable name, not '1x'"):
        ip.run_line_magic("sfls", "--out 1x")


# -- the browser session: one ls per visit, previews, transfers ---------------------------------
def test_one_ls_per_directory_visit_cached_until_refresh(client, home, remote_dir):
    (remote_dir / "sub").mkdir()
    browser = file_browser(str(remote_dir))
    session = session_of(browser)
    made = session.listings
    session.open(str(remote_dir / "sub"))
    wait_for(lambda: browser.path == str(remote_dir / "sub") and not browser.loading)
    session.open(str(remote_dir))  # back: from the cache, no request
    assert browser.path == str(remote_dir) and session.listings == made + 1
    (remote_dir / "new.txt").write_text("x")
    session.open(str(remote_dir))
    assert "new.txt" not in [e["name"] for e in browser.entries]  # still the cached listing
    browser._handle_custom_msg({"type": "refresh"}, [])
    wait_for(lambda: "new.txt" in [e["name"] for e in browser.entries], what="refresh")
    assert session.listings == made + 2


def test_links_open_the_folder_they_point_to_or_preview_the_file(client, home, remote_dir):
    (remote_dir / "data").mkdir()
    (remote_dir / "data" / "a.txt").write_text("a\n")
    (remote_dir / "to-data").symlink_to("data")
    (remote_dir / "to-a").symlink_to("data/a.txt")
    browser = file_browser(str(remote_dir))
    browser._handle_custom_msg({"type": "open", "path": f"{remote_dir}/to-data"}, [])
    wait_for(lambda: browser.path == f"{remote_dir}/to-data", what="the linked folder")
    assert [e["name"] for e in browser.entries] == ["a.txt"]
    browser._handle_custom_msg({"type": "open", "path": f"{remote_dir}/to-a"}, [])
    wait_for(lambda: browser._preview and browser._preview[0]["kind"] == "text", what="preview")
    assert browser._preview[0]["path"] == f"{remote_dir}/to-a"
    assert browser._preview[0]["head"] == ["a"] and browser.path == f"{remote_dir}/to-data"


def test_open_missing_directory_shows_the_error_and_keeps_the_listing(client, remote_dir):
    browser = file_browser(str(remote_dir))
    browser._handle_custom_msg({"type": "open", "path": str(remote_dir / "gone")}, [])
    wait_for(lambda: bool(browser.error), what="the error")
    assert browser.error.startswith(f"Cannot open {remote_dir}/gone: ls: cannot access")
    assert browser.path == str(remote_dir)


def test_a_directory_of_ten_thousand_entries_is_one_listing(client, remote_dir):
    big = remote_dir / "frames"
    big.mkdir()
    for i in range(10_000):
        (big / f"frame_{i:05d}.tif").touch()
    browser = file_browser(str(big))
    assert browser.entry_count == 10_000 and browser.entries[-1]["name"] == "frame_09999.tif"
    assert session_of(browser).listings == 1


def test_preview_of_a_png_sends_its_bytes(client, home):
    browser = file_browser("~/examples")
    browser._handle_custom_msg({"type": "preview", "path": f"{home}/examples/detector.png"}, [])
    wait_for(lambda: browser._preview[0]["kind"] == "image", what="image preview")
    content, buffers = browser._preview
    assert content["mime"] == "image/png" and buffers[0].startswith(PNG_MAGIC)
    assert buffers[0] == (home / "examples/detector.png").read_bytes()


def test_preview_of_arrays_2d_and_a_slice_of_4d(client, home):
    browser = file_browser("~/examples")
    browser._handle_custom_msg({"type": "preview", "path": f"{home}/examples/diffraction.npy"}, [])
    wait_for(lambda: browser._preview[0]["kind"] == "array", what="array preview")
    content, buffers = browser._preview
    assert content["shape"] == [128, 128] and content["slider_axes"] == []
    assert content["vmin"] < content["vmax"] and buffers[0].startswith(PNG_MAGIC)

    path = f"{home}/examples/scan_4d.npy"
    browser._handle_custom_msg({"type": "preview", "path": path}, [])
    wait_for(lambda: browser._preview[0]["path"] == path and browser._preview[0]["kind"] == "array")
    first = browser._preview
    assert first[0]["shape"] == [4, 4, 32, 32] and first[0]["slider_axes"] == [4, 4]
    browser._handle_custom_msg({"type": "slice", "path": path, "index": [2, 3]}, [])
    assert browser._preview[0]["index"] == [2, 3] and browser._preview[1] != first[1]


def test_preview_of_a_long_text_file_is_its_head_and_tail(client, home):
    browser = file_browser("~/examples")
    browser._handle_custom_msg(
        {"type": "preview", "path": f"{home}/examples/reconstruction.log"}, []
    )
    wait_for(lambda: browser._preview[0]["kind"] == "text", what="text preview")
    content = browser._preview[0]
    assert content["head"][0].startswith("iteration    1") and content["tail"][-1] == "done"
    assert content["skipped"] == 201 - 80 and content["total_lines"] == 201


def test_preview_of_a_file_over_the_preview_size_says_download_it(client, remote_dir):
    browser = file_browser(str(remote_dir))
    entry = session_of(browser).cache[str(remote_dir)]
    assert entry == []
    from sfapi_jupyter.client import RemoteEntry

    huge = RemoteEntry(
        name="huge.bin", path=f"{remote_dir}/huge.bin", perms="-rw-r--r--", size=40 * 1024**3
    )
    session_of(browser).cache[str(remote_dir)] = [huge]
    browser._handle_custom_msg({"type": "preview", "path": huge.path}, [])
    assert browser._preview[0]["kind"] == "none"
    assert "40.0 GiB; previews stop at 16.0 MiB. Download it" in browser._preview[0]["message"]


def test_download_from_the_browser_lands_in_the_working_directory(client, home, workdir):
    browser = file_browser("~/examples")
    path = f"{home}/examples/diffraction.npy"
    browser._handle_custom_msg({"type": "download", "paths": [path]}, [])
    wait_for(lambda: browser.transfer.get("state") == "done", what="download")
    assert (workdir / "diffraction.npy").read_bytes() == Path(path).read_bytes()
    assert browser.transfer["message"].startswith(f"Downloaded diffraction.npy to {workdir}")
    assert browser.transfer["done"] == browser.transfer["total"] > 0
    # Again: the local file is there, so the browser asks before replacing it.
    browser._handle_custom_msg({"type": "download", "paths": [path]}, [])
    assert browser.transfer["state"] == "exists"
    assert browser.transfer["message"] == f"diffraction.npy already in {workdir}"
    browser._handle_custom_msg({"type": "download", "paths": [path], "overwrite": True}, [])
    wait_for(lambda: browser.transfer.get("state") == "done", what="second download")


def test_upload_from_the_browser_then_the_listing_shows_it(client, remote_dir, workdir):
    (workdir / "scan.npy").write_bytes(b"\x93NUMPY fake")
    browser = file_browser(str(remote_dir))
    assert browser.local_files == [{"name": "scan.npy", "size": 11}]
    browser._handle_custom_msg({"type": "upload", "name": "scan.npy"}, [])
    wait_for(lambda: browser.transfer.get("state") == "done", what="upload")
    wait_for(lambda: "scan.npy" in [e["name"] for e in browser.entries], what="relisting")
    assert (remote_dir / "scan.npy").read_bytes() == b"\x93NUMPY fake"
    browser._handle_custom_msg({"type": "upload", "name": "scan.npy"}, [])
    assert browser.transfer["state"] == "exists"
    browser._handle_custom_msg({"type": "upload", "name": "../etc/passwd"}, [])
    assert (
        browser.transfer["state"] == "error"
        and "No file '../etc/passwd'" in (browser.transfer["message"])
    )


# -- %sfget ------------------------------------------------------------------------------------
def test_sfget_downloads_with_a_finished_progress_bar(ip, client, home, workdir, capsys):
    ip.run_line_magic("sfget", "~/examples/detector.png")
    assert (workdir / "detector.png").read_bytes() == (home / "examples/detector.png").read_bytes()
    out = capsys.readouterr().out
    assert "Downloaded perlmutter:~/examples/detector.png → detector.png (" in out


def test_sfget_to_a_directory_and_refusing_to_overwrite(ip, client, home, workdir):
    (workdir / "results").mkdir()
    ip.run_line_magic("sfget", "~/examples/README.txt results")
    target = workdir / "results/README.txt"
    target.write_text("my notes")
    with pytest.raises(
        UsageError,
        match=r"^Downloading ~/examples/README.txt failed: "
        r"results/README.txt already exists here; add --force",
    ):
        ip.run_line_magic("sfget", "~/examples/README.txt results")
    assert target.read_text() == "my notes"
    ip.run_line_magic("sfget", "~/examples/README.txt results --force")
    assert target.read_text().startswith("Example data")


def test_sfget_missing_file(ip, client, workdir):
    with pytest.raises(
        UsageError, match=r"^Downloading ~/nope.txt failed: .*/nope.txt: No such file or directory$"
    ):
        ip.run_line_magic("sfget", "~/nope.txt")
    assert list(workdir.iterdir()) == []


def test_sfget_no_permission(ip, client, workdir, mallory_file):
    with pytest.raises(UsageError, match="Permission denied"):
        ip.run_line_magic("sfget", str(mallory_file))
    assert list(workdir.iterdir()) == []


def test_sfget_over_the_size_limit_says_to_use_a_transfer(ip, client, remote_dir, workdir):
    (remote_dir / "big.bin").write_bytes(os.urandom(LIMIT + 1))
    with pytest.raises(
        UsageError,
        match=r"over the download limit of 0.2 MiB.*use a transfer instead \(%sftransfer",
    ):
        ip.run_line_magic("sfget", f"{remote_dir}/big.bin")
    assert list(workdir.iterdir()) == []


def test_a_failed_download_leaves_no_partial_file(client, home, workdir):
    def boom(done, total):
        raise RuntimeError("connection lost")

    machine = client.compute("perlmutter")
    with pytest.raises(RuntimeError, match="connection lost"):
        machine.files.download(f"{home}/examples/scan_4d.npy", workdir, progress=boom)
    assert list(workdir.iterdir()) == []


def test_get_file_without_ipython_and_progress(client, home, workdir):
    saved = get_file("~/examples/scan_4d.npy", progress=False)
    assert saved == Path("scan_4d.npy")
    assert np.load(saved).shape == (4, 4, 32, 32)


# -- %sfput ------------------------------------------------------------------------------------
def test_sfput_uploads_with_a_finished_progress_bar(ip, client, remote_dir, workdir, capsys):
    data = os.urandom(100_000)
    (workdir / "scan.bin").write_bytes(data)
    ip.run_line_magic("sfput", f"scan.bin {remote_dir}/scan.bin")
    assert (remote_dir / "scan.bin").read_bytes() == data
    out = capsys.readouterr().out
    assert f"Uploaded scan.bin → perlmutter:{remote_dir}/scan.bin (97.7 KiB)" in out


def test_sfput_into_a_directory_and_refusing_to_overwrite(ip, client, remote_dir, workdir):
    (workdir / "params.json").write_text('{"a": 1}')
    ip.run_line_magic("sfput", f"params.json {remote_dir}/")
    assert (remote_dir / "params.json").read_text() == '{"a": 1}'
    (workdir / "params.json").write_text('{"a": 2}')
    with pytest.raises(
        UsageError,
        match=r"^Uploading params.json failed: perlmutter:"
        r".*/params.json already exists; add --force",
    ):
        ip.run_line_magic("sfput", f"params.json {remote_dir}")
    assert (remote_dir / "params.json").read_text() == '{"a": 1}'
    ip.run_line_magic("sfput", f"params.json {remote_dir} --force")
    assert (remote_dir / "params.json").read_text() == '{"a": 2}'


def test_sfput_missing_local_file(ip, client, remote_dir, workdir):
    with pytest.raises(
        UsageError,
        match=rf"^Uploading nothing.dat failed: No local file nothing.dat \(in {workdir}\)$",
    ):
        ip.run_line_magic("sfput", f"nothing.dat {remote_dir}/")


def test_sfput_no_permission(ip, client, workdir, mallory_file):
    (workdir / "x.txt").write_text("x")
    with pytest.raises(UsageError, match="Permission denied"):
        ip.run_line_magic("sfput", f"x.txt {mallory_file.parent}/x.txt")
    assert not (mallory_file.parent / "x.txt").exists()


def test_sfput_over_the_size_limit_says_to_use_a_transfer(ip, client, remote_dir, workdir):
    (workdir / "big.bin").write_bytes(os.urandom(LIMIT + 1))
    with pytest.raises(
        UsageError,
        match=r"exceeds the limit of 0.2 MiB; nothing was written.*use a transfer instead",
    ):
        ip.run_line_magic("sfput", f"big.bin {remote_dir}/big.bin")
    assert not (remote_dir / "big.bin").exists() and no_partial_files(remote_dir)


def test_sfput_usage_errors(ip, client):
    with pytest.raises(UsageError, match="the following arguments are required: remote"):
        ip.run_line_magic("sfput", "only-one")


def test_put_file_reports_progress_to_the_end(client, remote_dir, workdir):
    data = os.urandom(200_000)
    seen: list[tuple[int, int | None]] = []
    client.compute("perlmutter").files.upload(
        io.BytesIO(data), f"{remote_dir}/p.bin", progress=lambda d, t: seen.append((d, t))
    )
    assert seen[-1] == (200_000, 200_000) and len(seen) > 1
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    (workdir / "q.bin").write_bytes(data)
    assert put_file("q.bin", str(remote_dir), progress=False) == f"{remote_dir}/q.bin"
