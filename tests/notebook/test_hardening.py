"""What a notebook user sees for issue 14's leftovers and the client's attacks: an unknown
machine in ``%sfjobs``, ``~`` in ``%sftail``, terminal escapes in output and previews, a
command that exits non-zero without stderr, an interrupted ``%sfrun``.
"""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from sfapi_jupyter.client import CommandError
from sfapi_jupyter.notebook.previews import text_preview
from sfapi_jupyter.notebook.run import run_command
from sfapi_jupyter.widgets import QueueTable

from ..support.figures import record_bad_input
from .conftest import wait_for

COLOURED = (
    "\x1b]0;build log\x07\x1b[1;32mgreen\x1b[0m line\n"
    "\x1b]8;;https://docs.nersc.gov\x1b\\docs\x1b]8;;\x1b\\ link\n"
    "10%\r\x1b[2K100%\n"
)
SHOWN = ["green line", "docs link", "100%"]


def test_sfjobs_on_an_unknown_machine_says_so_and_names_the_known_ones(ip, client):
    before = len([w for w in ip.user_ns.values() if isinstance(w, QueueTable)])
    with pytest.raises(UsageError) as caught:
        ip.run_line_magic("sfjobs", "-m cori")
    message = str(caught.value)
    # Before: an empty table that never filled (the feed only logged the 422).
    assert "'cori' is not a machine the API knows" in message
    assert "'perlmutter', 'dtns' or 'dtn01'" in message
    assert len([w for w in ip.user_ns.values() if isinstance(w, QueueTable)]) == before
    record_bad_input("magic", "%sfjobs -m cori", f"UsageError: {message}")


def test_a_command_exiting_non_zero_without_stderr_says_so(client):
    with pytest.raises(CommandError) as caught:
        client.compute("perlmutter").run("exit 3", check=True)
    message = str(caught.value)
    # Before: "'exit 3' exited 3: " (a colon, then nothing).
    assert message == "'exit 3' exited 3 (it wrote nothing to stderr)"
    with pytest.raises(CommandError, match=r"exited 2: oops$"):
        client.compute("perlmutter").run("echo oops >&2; exit 2", check=True)


def test_sftail_expands_the_tilde_and_shows_the_text_as_a_terminal_would(ip, client, facility):
    client.compute("perlmutter").files.upload(
        COLOURED.encode(), f"{facility.config.home_of('elvis')}/colours.log"
    )
    # Before: "~" reached the remote script quoted, so "~/colours.log" was never found.
    tail = ip.run_line_magic("sftail", "~/colours.log --no-follow")
    wait_for(lambda: tail.status == "end of file" or "error" in tail.status, what="the read")
    assert tail.status == "end of file", tail.status
    assert tail.lines == SHOWN
    # The bytes themselves are untouched: a download is the file as it is.
    assert client.compute("perlmutter").files.download("~/colours.log") == COLOURED.encode()


def test_previews_and_command_output_show_no_escape_sequences(client):
    preview = text_preview(COLOURED.encode())
    assert preview["head"] == SHOWN
    output = run_command(f"printf %b {COLOURED!r}", "perlmutter")
    assert output.output == COLOURED  # the data, as the command wrote it
    html = output._repr_html_()
    assert "\x1b" not in html
    shown = html.split(">stdout</div>", 1)[1]
    assert "green line\ndocs link\n100%</pre>" in shown


def test_an_interrupted_sfrun_cancels_the_command_and_says_so(ip, client, capsys):
    import os
    import signal
    import threading

    from ..client.test_command_cancel import gone_within, started, unique_sleep

    seconds = unique_sleep()
    client.compute("perlmutter").run("true")  # token and status first

    def interrupt_once_running() -> None:
        if started(seconds):
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        ip.run_line_magic("sfrun", f"sleep {seconds}")
    assert gone_within(seconds, 2.0)
    assert (
        f"Interrupted: 'sleep {seconds}' was cancelled on the machine." in capsys.readouterr().err
    )
