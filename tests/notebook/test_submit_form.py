"""``%sfsubmit``/``submit_form``: fields and ``#SBATCH`` lines in step, checks, cost, submit.

Browser actions are delivered as the browser sends them (custom messages through
ipywidgets' dispatch); answers that need the API arrive through the main-thread dispatcher.
"""

from __future__ import annotations

from typing import Any

import pytest
from IPython.core.error import UsageError

from sfapi_jupyter import Client
from sfapi_jupyter.notebook.session import set_client
from sfapi_jupyter.notebook.submit_form import NO_CLIENT, TEMPLATE, submit_form
from sfapi_jupyter.widgets import JobCard, SubmitForm

from .conftest import make_client, script, wait_for


def from_js(widget: Any, content: dict[str, Any]) -> None:
    widget._handle_custom_msg(content, [])


def loaded(form: SubmitForm) -> SubmitForm:
    wait_for(lambda: bool(form.accounts) and not form.busy, what="the form's projects")
    return form


@pytest.fixture(scope="module")
def small_project(facility) -> str:
    """Project m0tiny: elvis is in it, with 10 CPU node-hours given and 2 used."""
    accounts = facility.facility.accounts
    accounts.join_project("elvis", "m0tiny")
    store = facility.facility.store
    doc = store.get_project("m0tiny")
    doc.update(cpu_hours_given=10.0, cpu_base_used=2.0)
    store.put_project("m0tiny", doc["id"], doc)
    return "m0tiny"


def test_sfsubmit_opens_the_template_with_its_fields_checks_and_cost(ip, client):
    form = loaded(ip.run_line_magic("sfsubmit", ""))
    assert isinstance(form, SubmitForm) and form.script == TEMPLATE
    fields = (form.machine, form.job_name, form.constraint, form.qos, form.nodes, form.time)
    assert fields == ("perlmutter", "my-job", "cpu", "debug", "1", "00:10:00")
    assert form.issues == [] and form.blocked == "" and form.can_submit
    assert "regular" in form.qos_names
    project = form.accounts[0]["name"]
    assert form.default_account == project
    assert form.cost["node_hours"] == pytest.approx(1 / 6, abs=1e-3)
    assert form.cost["kind"] == "CPU" and form.cost["project"] == project
    assert form.cost["left"] > 1000 and form.cost["over"] is False


def test_a_field_edit_rewrites_its_sbatch_line(ip, client):
    form = loaded(submit_form())
    from_js(form, {"type": "field", "name": "nodes", "value": "4"})
    assert "#SBATCH -N 4\n" in form.script and form.nodes == "4"
    from_js(form, {"type": "field", "name": "constraint", "value": "gpu"})
    assert "#SBATCH -C gpu\n" in form.script and form.cost["kind"] == "GPU"
    from_js(form, {"type": "field", "name": "job_name", "value": "scan 42"})
    assert "#SBATCH -J 'scan 42'\n" in form.script and form.job_name == "scan 42"
    from_js(form, {"type": "field", "name": "account", "value": form.accounts[0]["name"]})
    assert f"#SBATCH -A {form.accounts[0]['name']}\n" in form.script
    from_js(form, {"type": "field", "name": "qos", "value": ""})
    assert "-q" not in form.script and form.qos == ""
    assert form.cost["node_hours"] == pytest.approx(4 / 6, abs=1e-3)


def test_a_script_edit_fills_the_fields(ip, client):
    form = loaded(submit_form())
    edited = script("srun ./recon", "-q regular", "--nodes=3", "--job-name=recon")
    from_js(form, {"type": "script", "value": edited.replace("00:05:00", "01:30:00")})
    assert (form.qos, form.nodes, form.job_name, form.time) == ("regular", "3", "recon", "01:30:00")
    assert form.cost["node_hours"] == pytest.approx(4.5)
    from_js(form, {"type": "machine", "value": "dtns"})
    assert form.machine == "dtns"
    from_js(form, {"type": "machine", "value": "cori"})  # not offered: ignored
    assert form.machine == "dtns"


def test_a_bad_script_shows_its_errors_and_is_not_submitted(ip, client):
    form = loaded(submit_form("#SBATCH -N two\nsrun x\n"))
    messages = [(i["line"], i["severity"], i["message"]) for i in form.issues]
    assert (
        1,
        "error",
        "the first line must say which interpreter runs the script: add "
        "'#!/bin/bash' as the first line",
    ) in messages
    assert (1, "error", "invalid --nodes 'two': use a count (2) or a range (2-4)") in messages
    assert not form.can_submit and form.cost == {}
    from_js(form, {"type": "submit"})
    assert form.message.startswith("Fix the errors in the script first: line 1: the first line")
    assert form.message_level == "error" and form.card is None and form.view == "form"


def test_submit_turns_the_form_into_a_job_card_and_keeps_the_script(ip, client):
    form = loaded(submit_form(script("echo from-the-form", "-J form-job")))
    kept = form.script
    from_js(form, {"type": "submit"})
    assert isinstance(form.card, JobCard) and form.view == "job"
    first = form.submitted[0]["jobid"]
    assert form.card.jobid == first and form.submitted[0]["name"] == "form-job"
    assert form.message == f"Submitted job {first} to perlmutter." and form.script == kept
    wait_for(
        lambda: form.card.state == "COMPLETED" and "from-the-form" in form.card.output(),
        what="the job's card",
    )
    from_js(form, {"type": "view", "value": "form"})
    assert form.view == "form" and form.script == kept
    from_js(form, {"type": "submit"})
    assert len(form.submitted) == 2 and form.card.jobid != first and form.view == "job"
    assert f"submitted {first}, {form.card.jobid}" in form.summary_html()


def test_over_the_allocation_the_form_and_sfjob_warn(ip, client, small_project, capsys):
    body = script("true", f"-A {small_project}", "-N 4").replace("00:05:00", "04:00:00")
    form = loaded(submit_form(body))
    wait_for(lambda: any("node-hours" in w for w in form.warnings), what="the warning")
    assert "the job may use 16.0 CPU node-hours but project m0tiny has 8.0 left" in form.warnings
    assert form.cost["over"] is True and form.cost["left"] == pytest.approx(8.0)
    card = ip.run_cell_magic("sfjob", "", body)
    out = capsys.readouterr().out
    assert "warning: the job may use 16.0 CPU node-hours but project m0tiny has 8.0 left" in out
    assert "16.0 CPU node-hours" in card.message and card.message_level == "warning"


def test_an_account_the_user_is_not_in_is_a_warning(ip, client):
    form = loaded(submit_form(script("true", "-A m9nobody")))
    assert any(
        w.startswith("you are not in project m9nobody: sbatch will refuse the job")
        for w in form.warnings
    ), form.warnings


def test_a_green_client_is_told_before_it_tries(ip, client, facility):
    green = make_client(facility, facility.create_client("elvis", level="green"))
    set_client(green)
    try:
        form = ip.run_line_magic("sfsubmit", "")
        wait_for(lambda: bool(form.blocked), what="the client's level")
        assert form.blocked.startswith(
            "This API client (green) may only read: NERSC lets only "
            "red clients submit jobs. Create a red client in Iris"
        )
        assert not form.can_submit
        from_js(form, {"type": "submit"})
        assert form.message == form.blocked and form.card is None
        with pytest.raises(UsageError) as info:  # and %%sfjob says what the API said
            ip.run_cell_magic("sfjob", "", script("true"))
        assert "Submitting the job failed: This API client (green) may only read" in str(info.value)
    finally:
        set_client(client)
        green.close()


def test_without_credentials_the_form_says_how_to_get_them(ip, client, facility):
    anonymous = Client(facility.api_url, facility.token_url)
    if anonymous.aio.authenticated:
        anonymous.close()
        pytest.skip("credentials found in the environment")
    set_client(anonymous)
    try:
        form = submit_form()
        wait_for(lambda: bool(form.blocked), what="the form's check")
        assert form.blocked == NO_CLIENT
    finally:
        set_client(client)
        anonymous.close()


def test_sfsubmit_reads_a_local_script_and_binds_the_form(ip, client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "recon.sbatch").write_text(script("srun ./recon", "-J recon"))
    form = ip.run_line_magic("sfsubmit", "recon.sbatch -m dtns --out f")
    assert ip.user_ns["f"] is form and form.machine == "dtns" and form.job_name == "recon"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("missing.sbatch", "No such file: missing.sbatch (the path is on this computer"),
        ("--out 2x", "--out takes a Python variable name, not '2x'"),
    ],
)
def test_sfsubmit_bad_input(ip, client, line, message):
    with pytest.raises(UsageError) as info:
        ip.run_line_magic("sfsubmit", line)
    assert message in str(info.value)


def test_the_form_warns_of_a_degraded_machine_and_an_outage_in_the_walltime(ip, client, facility):
    import datetime as dt

    from sfapi_jupyter.facility.seed import _outage

    store = facility.facility.store
    before = store.get_resource("perlmutter")
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    outage = _outage(
        "perlmutter",
        now + dt.timedelta(hours=1),
        now + dt.timedelta(hours=3),
        "Scratch file system upgrade",
        "maint",
    )
    store.put_resource("perlmutter", {**before, "status": "degraded", "notes": ["scratch slow"]})
    outage_id = store.add_outage(outage)
    try:
        form = loaded(submit_form(script("true").replace("00:05:00", "02:00:00")))
        wait_for(lambda: len(form.warnings) >= 2, what="the machine's warnings")
    finally:
        store.put_resource("perlmutter", before)
        store.remove_outage(outage_id)
    assert form.warnings[0] == "perlmutter is degraded: scratch slow"
    assert form.warnings[1].startswith("outage of perlmutter from ")
    assert "(Scratch file system upgrade) overlaps the job's walltime of 2 h" in form.warnings[1]
    assert "perlmutter is degraded" in form.summary_html()


def test_the_saved_notebook_gets_the_forms_summary_after_submit(ip, client, monkeypatch):
    updates: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(
        "IPython.display.update_display", lambda obj, **kwargs: updates.append((obj, kwargs))
    )
    form = loaded(submit_form(script("echo saved", "-J saved-job")))
    form.display_id = "form-output"
    from_js(form, {"type": "submit"})
    wait_for(lambda: form.card.state == "COMPLETED", what="the job")
    wait_for(lambda: any("COMPLETED" in u[0]["text/html"] for u in updates), what="the summary")
    bundle, kwargs = updates[-1]
    assert kwargs == {"display_id": "form-output", "raw": True}
    assert f"submitted {form.card.jobid}" in bundle["text/html"]
    assert bundle["text/plain"].startswith("SubmitForm on perlmutter (")
