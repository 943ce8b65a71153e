"""Under a real JupyterHub, over HTTP as a browser would: logins, each user's own server,
the toolkit's server extension under ``/user/NAME/sfapi-jupyter/``, and nothing of one user
reaching the other.

Each user logs in through the Hub's login form with their OS password (PAM); each submits a
job with their own key to the local facility; each user's server answers with that user's
jobs only, and no answer holds a key, the other user's name or client id.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from .conftest import HubSession
from .hub import Hub
from .users import USERS, HubUser, install_kernel

pytestmark = pytest.mark.hub

ALMA, BRUNO = USERS


def listed(answer: dict[str, Any]) -> dict[str, str]:
    """``{jobid: state}`` of every job (queue and recent) in a ``jobs`` answer."""
    return {
        str(job["jobid"]): str(job["state"])
        for machine in answer["machines"]
        for job in (*machine["jobs"], *machine["recent"])
    }


def wait_listed(session: HubSession, jobid: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        answer = session.ext("jobs")
        assert answer.status_code == 200, answer.text
        doc: dict[str, Any] = answer.json()
        if jobid in listed(doc) or time.monotonic() > deadline:
            return doc
        time.sleep(0.5)


def assert_no_secret(session: HubSession, users: dict[str, HubUser]) -> None:
    """No key of anyone in any answer; nothing naming the other user."""
    other = next(u for u in users.values() if u.name != session.user.name)
    for body in session.bodies:
        for user in users.values():
            for secret in user.secrets():
                assert secret not in body, f"{user.name}'s key reached {session.user.name}"
        assert other.client_id not in body, f"{other.name}'s client id in an answer"
        assert other.name not in body, f"{other.name} named in {session.user.name}'s answer"


def test_login_form_takes_only_the_users_own_password(hub: Hub, hub_users):
    alma, bruno = hub_users[ALMA], hub_users[BRUNO]
    wrong = HubSession(hub, alma)
    try:
        refused = wrong.login(password=bruno.password)
        assert refused.status_code == 403, refused.status_code
        assert "Invalid username or password" in refused.text
        assert wrong.http.get("/hub/api/user").status_code == 403  # not logged in
        assert wrong.http.get(f"/user/{ALMA}/lab", follow_redirects=False).status_code == 302
    finally:
        wrong.close()


def test_each_user_reaches_their_lab_and_their_own_jobs(hub_session, hub_users, hub_submit):
    jobs = {name: hub_submit(name, f"echo job of {name}\n") for name in USERS}
    for name in USERS:
        session = hub_session(name)
        lab = session.lab
        assert lab is not None and lab.status_code == 200, lab
        assert str(lab.url).endswith(f"/user/{name}/lab"), lab.url
        assert "JupyterLab" in lab.text
        # The page config tells the front end its base URL: the extension's URLs follow it.
        assert f'"baseUrl": "/user/{name}/"' in lab.text
        # The Hub passes the spawner's arguments on (the browser tests ask window.jupyterapp).
        assert '"exposeAppInBrowser": true' in lab.text
        tree = session.get(f"/user/{name}/tree")  # Notebook 7, from the same server
        assert tree.status_code == 200 and '"appName": "Jupyter Notebook"' in tree.text

        info = session.ext("info").json()
        assert info["key"] == "ok", info
        status = session.ext("status").json()
        assert {r["name"] for r in status["resources"]} >= {"perlmutter"}

        doc = wait_listed(session, jobs[name])
        mine = listed(doc)
        assert jobs[name] in mine, f"{name}'s job {jobs[name]} not in {mine}"
        other = next(n for n in USERS if n != name)
        assert jobs[other] not in mine, f"{other}'s job {jobs[other]} shown to {name}"
        assert_no_secret(session, hub_users)


def test_a_user_cannot_reach_the_other_users_server(hub_session, hub_users):
    alma = hub_session(ALMA)
    hub_session(BRUNO)  # running, so the Hub has somewhere to route to
    # alma's cookies at bruno's server: his server refuses the extension's route outright...
    answer = alma.http.get(f"/user/{BRUNO}/sfapi-jupyter/jobs")
    assert answer.status_code == 403, (answer.status_code, answer.url, answer.text[:300])
    assert hub_users[BRUNO].client_id not in answer.text
    # ...and his lab sends her through the Hub's OAuth, where the Hub refuses her.
    answer = alma.http.get(f"/user/{BRUNO}/lab")
    assert answer.status_code == 403, (answer.status_code, answer.url, answer.text[:300])
    assert str(answer.url).startswith(f"{alma.hub.url}/hub/"), answer.url
    assert hub_users[BRUNO].client_id not in answer.text


def test_install_kernel_as_a_hub_user_shows_in_their_kernelspecs(
    hub: Hub, hub_session, hub_users, hub_python
):
    user = hub_users[BRUNO]
    install_kernel(user, hub_python)
    spec = user.home / ".local" / "share" / "jupyter" / "kernels" / "sfapi" / "kernel.json"
    assert spec.exists() and spec.stat().st_uid == user.uid
    for name in USERS:
        session = hub_session(name)
        specs = session.get(f"/user/{name}/api/kernelspecs").json()["kernelspecs"]
        names = {s["spec"]["display_name"] for s in specs.values()}
        if name == BRUNO:
            assert "Python (SF API)" in names, names
        else:  # installed for bruno alone (--user)
            assert "Python (SF API)" not in names, names


def run_in_kernel(hub: Hub, user: HubUser, kernel: str, code: str) -> list[dict[str, Any]]:
    """Start ``kernel`` on the user's server (REST, with a token of the user's own), run
    ``code`` in it through its connection file, and return what it sent (iopub content)."""
    from jupyter_client import BlockingKernelClient

    base = f"{hub.url}/user/{user.name}/api/kernels"
    headers = {"Authorization": f"token {hub.user_token(user.name)}"}
    started = httpx.post(base, json={"name": kernel}, headers=headers, timeout=60)
    assert started.status_code == 201, started.text
    kernel_id = started.json()["id"]
    runtime = user.home / ".local" / "share" / "jupyter" / "runtime"
    client = BlockingKernelClient(connection_file=str(runtime / f"kernel-{kernel_id}.json"))
    client.load_connection_file()
    client.start_channels()
    sent: list[dict[str, Any]] = []
    try:
        client.wait_for_ready(timeout=60)
        reply = client.execute_interactive(
            code, timeout=60, output_hook=lambda msg: sent.append(msg["content"])
        )
        sent.append({"reply": reply["content"]})
    finally:
        client.stop_channels()
        httpx.delete(f"{base}/{kernel_id}", headers=headers, timeout=60)
    return sent


def test_the_sfapi_kernel_runs_sfstatus_without_load_ext(
    hub: Hub, hub_session, hub_users, hub_python
):
    user = hub_users[BRUNO]  # the user who has it (test_install_kernel... checks alma has not)
    install_kernel(user, hub_python)
    hub_session(BRUNO)
    sent = run_in_kernel(hub, user, "sfapi", "%sfstatus")
    assert sent[-1]["reply"]["status"] == "ok", sent
    text = repr(sent)
    assert "UsageError" not in text and "Traceback" not in text, text[:2000]
    # the status board: a widget view (anywidget) with a text fallback naming the machine
    views = [m for m in sent if "application/vnd.jupyter.widget-view+json" in m.get("data", {})]
    assert views, text[:2000]
    assert "perlmutter" in text.lower(), text[:2000]
    # the plain python3 kernel of the same server has no magics until %load_ext
    plain = repr(run_in_kernel(hub, user, "python3", "%sfstatus"))
    assert "UsageError" in plain and "sfstatus" in plain, plain[:2000]
