"""Attacks: each refused with nothing changed (the facility's jobs, tasks, clients and file
trees are the same after the attempt). The attacks that issue 10 found getting through
(items 1, 2, 4-9) are at the end: each must now be refused too.

Users: alice and bob (red clients), bob's green client, and a client of bob's limited to
10.0.0.0/8 (every request here comes from 127.0.0.1).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from sfapi_jupyter.facility.config import MACHINES
from sfapi_jupyter.facility.server import LocalFacility
from tests.support.facility import SEEN_SECRETS, fast_config, new_client, script, serve
from tests.support.figures import record, record_bad_input
from tests.support.tokens import fetch_token, make_assertion, task_result, token_form
from tests.support.waiting import wait_for

SECTION = "attacks"
LIMIT = 64 * 1024
_REFUSED: list[str] = []


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_hs256(claims: dict[str, Any], secret: bytes) -> str:
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims).encode())
    signature = hmac.new(secret, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def unsigned(claims: dict[str, Any]) -> str:
    head = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{head}.{b64(json.dumps(claims).encode())}."


def claims_of(token: str) -> dict[str, Any]:
    segment = token.split(".")[1]
    payload: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * 4))
    return payload


def public_pem(private_pem: str) -> bytes:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@dataclasses.dataclass
class World:
    facility: LocalFacility
    alice: httpx.Client
    bob: httpx.Client
    green: httpx.Client
    creds: dict[str, Any]
    alice_home: Path
    bob_home: Path
    alice_job: str
    alice_task: str
    alice_transfer: str

    def session(self, token: str) -> httpx.Client:
        return httpx.Client(
            base_url=self.facility.api_url + "/",
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )


def _session(facility: LocalFacility, creds: Any) -> httpx.Client:
    token = fetch_token(facility.token_url, creds)
    SEEN_SECRETS.add(token)
    return httpx.Client(
        base_url=facility.api_url + "/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def make_world(tmp: Path, alice_name: str = "alice", bob_name: str = "bob") -> Iterator[World]:
    """The attacked facility; two worlds alive at once need their own user names (one OS
    account per name on a host)."""
    config = fast_config(tmp / "state", max_upload_bytes=LIMIT)
    with serve(config) as facility:
        creds = {
            "alice": new_client(facility, alice_name),
            "bob": new_client(facility, bob_name),
            "green": new_client(facility, bob_name, level="green"),
            "ranged": new_client(facility, bob_name, ip_ranges=["10.0.0.0/8"]),
        }
        alice, bob, green = (_session(facility, creds[n]) for n in ("alice", "bob", "green"))
        alice_home = facility.config.home_of(alice_name)
        bob_home = facility.config.home_of(bob_name)
        (alice_home / "secret.txt").write_text("alice's data\n")
        (bob_home / "to-alice").symlink_to(alice_home)
        submitted = alice.post(
            "compute/jobs/perlmutter",
            data={"job": script("sleep 600", "-J alices"), "isPath": False},
        ).json()
        job = task_result(alice, submitted["task_id"])
        moved = alice.post(
            "storage/globus/transfer",
            data={
                "source_uuid": "dtn",
                "target_uuid": "dtn",
                "label": "alice",
                "source_dir": str(alice_home / "secret.txt"),
                "target_dir": str(facility.config.scratch_of(alice_name)),
            },
        ).json()
        store = facility.facility.store
        wait_for(lambda: store.get_job("perlmutter", int(job["jobid"])).state == "RUNNING", 60)
        transfer = f"storage/globus/transfer/{moved['transfer_id']}"
        wait_for(lambda: alice.get(transfer).json()["status"] != "ACTIVE", 60)
        alices = (str(job["jobid"]), submitted["task_id"], moved["transfer_id"])
        yield World(facility, alice, bob, green, creds, alice_home, bob_home, *alices)
        for client in (alice, bob, green):
            client.close()


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("attacks"))


def snapshot(world: World) -> dict[str, Any]:
    """Everything an attack could change."""
    store = world.facility.facility.store
    root = world.facility.config.fs_root
    files = []
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        size = 0 if path.is_dir() else info.st_size
        files.append((str(path.relative_to(root)), size, info.st_mode))
    return {
        "jobs": sorted((m, r.jobid, r.user, r.state) for m in MACHINES for r in store.load_jobs(m)),
        "tasks": {u: len(store.list_tasks(u)) for u in ("alice", "bob")},
        "clients": sorted((c["client_id"], c["revoked"]) for c in store.list_clients()),
        "files": files,
        "alice's secret": (world.alice_home / "secret.txt").read_text(),
    }


def message_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if isinstance(body, dict):
        if body.get("error_description"):
            return f"HTTP {response.status_code}, {body.get('error')}: {body['error_description']}"
        text = body.get("error") or body.get("detail") or body.get("reason") or body.get("status")
        if isinstance(text, list):
            text = "; ".join(f"{'.'.join(map(str, d['loc']))}: {d['msg']}" for d in text)
        return f"HTTP {response.status_code}, {text}"
    return f"HTTP {response.status_code}"


def refused(response: httpx.Response, *statuses: int, words: str = "") -> str:
    """The answer is a refusal: one of ``statuses``, or HTTP 200 with an ERROR envelope."""
    message = message_of(response)
    if response.status_code == 200:
        body = response.json()
        assert body.get("status") == "ERROR" or body.get("error"), body
        message = f"HTTP 200, status ERROR: {body.get('error') or body.get('reason')}"
    else:
        assert response.status_code in statuses, (response.status_code, response.text)
    assert response.status_code < 500
    if words:
        assert words.lower() in message.lower(), message
    return message


def task_refused(world: World, client: httpx.Client, response: httpx.Response, words: str) -> str:
    assert response.status_code == 200, response.text
    result = task_result(client, response.json()["task_id"])
    text = str(result.get("error") or result.get("output") or "")
    assert result.get("status") == "error" or words in text, result
    assert words.lower() in text.lower(), text
    return f"task result: {text.strip()}"


# -- the attacks: name -> (what was tried, attempt) -----------------------------------------------
def _token_endpoint(world: World, assertion: str, **headers: str) -> httpx.Response:
    return httpx.post(world.facility.token_url, data=token_form(assertion), headers=headers)


def _assertion_claims(w: World) -> dict[str, Any]:
    """The claims of a valid client assertion by bob's client, for the attacker to sign."""
    now = int(time.time())
    cid = w.creds["bob"].client_id
    return {
        "iss": cid,
        "sub": cid,
        "aud": w.facility.token_url,
        "iat": now,
        "exp": now + 60,
        "jti": os.urandom(8).hex(),
    }


def a_alg_none(w: World) -> str:
    claims = _assertion_claims(w)
    return refused(_token_endpoint(w, unsigned(claims)), 401, words="invalid_client")


def a_hs256_public_key(w: World) -> str:
    claims = _assertion_claims(w)
    forged = sign_hs256(claims, public_pem(w.creds["bob"].private_key_pem))
    return refused(_token_endpoint(w, forged), 401, words="invalid_client")


def a_wrong_audience(w: World) -> str:
    assertion = make_assertion(w.creds["bob"], "http://evil.example/c2id/token")
    return refused(_token_endpoint(w, assertion), 401, words="aud")


def a_expired_assertion(w: World) -> str:
    now = int(time.time())
    assertion = make_assertion(w.creds["bob"], w.facility.token_url, iat=now - 900, exp=now - 600)
    return refused(_token_endpoint(w, assertion), 401, words="exp")


def a_replayed_jti(w: World) -> str:
    assertion = make_assertion(w.creds["bob"], w.facility.token_url)
    first = _token_endpoint(w, assertion)
    assert first.status_code == 200
    SEEN_SECRETS.add(first.json()["access_token"])
    return refused(_token_endpoint(w, assertion), 401, words="jti")


def a_unknown_client(w: World) -> str:
    ghost = dataclasses.replace(w.creds["bob"], client_id="zzzzzzzzzzzzz")
    return refused(_token_endpoint(w, make_assertion(ghost, w.facility.token_url)), 401)


def a_out_of_range_ip(w: World) -> str:
    assertion = make_assertion(w.creds["ranged"], w.facility.token_url)
    return refused(_token_endpoint(w, assertion), 401, 403, words="may not be used from")


def _bob_claims(w: World) -> dict[str, Any]:
    return claims_of(str(w.bob.headers["Authorization"]).split()[1])


def a_access_token_alg_none(w: World) -> str:
    claims = _bob_claims(w) | {"sub": "alice", "client_id": w.creds["alice"].client_id}
    with w.session(unsigned(claims)) as forged:
        return refused(forged.get("account/"), 401)


def a_access_token_hs256_facility_key(w: World) -> str:
    key = public_pem(w.facility.config.signing_key_path.read_text())
    claims = _bob_claims(w) | {"sub": "alice"}
    with w.session(sign_hs256(claims, key)) as forged:
        return refused(forged.get("account/"), 401)


def a_expired_access_token(w: World) -> str:
    from joserfc import jwt
    from joserfc.jwk import RSAKey

    key = RSAKey.import_key(w.facility.config.signing_key_path.read_text())
    token = str(w.bob.headers["Authorization"]).split()[1]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=" * 4))
    now = int(time.time())
    claims = _bob_claims(w) | {"iat": now - 1200, "nbf": now - 1200, "exp": now - 600}
    expired = jwt.encode(header, claims, key)
    with w.session(expired) as late:
        return refused(late.get("account/"), 401, words="expired")


def a_cancel_anothers_job(w: World) -> str:
    response = w.bob.delete(f"compute/jobs/perlmutter/{w.alice_job}")
    return task_refused(w, w.bob, response, "denied")


def a_read_anothers_task(w: World) -> str:
    return refused(w.bob.get(f"tasks/{w.alice_task}"), 403, 404)


def a_cancel_anothers_task(w: World) -> str:
    return refused(w.bob.delete(f"tasks/{w.alice_task}"), 403, 404)


def a_read_anothers_transfer(w: World) -> str:
    return refused(w.bob.get(f"storage/globus/transfer/{w.alice_transfer}"), 403, 404)


def a_transfer_anothers_file(w: World) -> str:
    response = w.bob.post(
        "storage/globus/transfer",
        data={
            "source_uuid": "dtn",
            "target_uuid": "dtn",
            "source_dir": str(w.alice_home / "secret.txt"),
            "target_dir": str(w.bob_home),
        },
    )
    return refused(response, 403, words="denied")


def a_ls_anothers_home(w: World) -> str:
    return refused(w.bob.get(f"utilities/ls/perlmutter/{w.alice_home}"), words="denied")


def a_download_anothers_file(w: World) -> str:
    path = w.alice_home / "secret.txt"
    return refused(w.bob.get(f"utilities/download/perlmutter/{path}"), words="denied")


def a_upload_into_anothers_home(w: World) -> str:
    response = w.bob.put(
        f"utilities/upload/perlmutter/{w.alice_home}/planted.txt",
        files={"file": ("x", b"planted")},
    )
    return refused(response, words="denied")


def a_traversal(w: World) -> str:
    path = f"{w.bob_home}/../alice/secret.txt"
    return refused(w.bob.get(f"utilities/download/perlmutter/{path}"), words="denied")


def a_encoded_traversal(w: World) -> str:
    path = f"{w.bob_home}/%2e%2e/alice/secret.txt"
    return refused(w.bob.get(f"utilities/download/perlmutter/{path}"), 404, words="")


def a_state_dir(w: World) -> str:
    path = w.facility.config.signing_key_path
    return refused(w.bob.get(f"utilities/download/perlmutter/{path}"), words="denied")


def a_symlink_download(w: World) -> str:
    path = f"{w.bob_home}/to-alice/secret.txt"
    return refused(w.bob.get(f"utilities/download/perlmutter/{path}"), words="denied")


def a_symlink_upload(w: World) -> str:
    response = w.bob.put(
        f"utilities/upload/perlmutter/{w.bob_home}/to-alice/planted.txt",
        files={"file": ("x", b"planted")},
    )
    return refused(response, words="denied")


def a_green_submit(w: World) -> str:
    response = w.green.post(
        "compute/jobs/perlmutter", data={"job": script("true"), "isPath": False}
    )
    return refused(response, 403, words="red client")


def a_green_command(w: World) -> str:
    return refused(w.green.post("utilities/command/perlmutter", data={"executable": "id"}), 403)


def a_green_upload(w: World) -> str:
    response = w.green.put(
        f"utilities/upload/perlmutter/{w.bob_home}/green.txt", files={"file": ("x", b"x")}
    )
    return refused(response, 403, words="red client")


def a_green_group(w: World) -> str:
    response = w.green.post("account/groups", data={"name": "greens", "repo_name": "m4001"})
    return refused(response, 403)


def a_oversize_upload(w: World) -> str:
    response = w.bob.put(
        f"utilities/upload/perlmutter/{w.bob_home}/big.bin",
        files={"file": ("x", b"x" * (LIMIT + 1))},
    )
    return refused(response, 413, words="limit")


def a_oversize_form(w: World) -> str:
    body = "#!/bin/bash\n#SBATCH -C cpu\n" + "#" * (8 * 1024 * 1024)
    response = w.bob.post("compute/jobs/perlmutter", data={"job": body, "isPath": False})
    if response.status_code == 200:
        return task_refused(w, w.bob, response, "error")
    return refused(response, 400, 413, 422)


def a_malformed_submit(w: World) -> str:
    response = w.bob.post("compute/jobs/perlmutter", data={"job": script("true")})
    return refused(response, 422, words="isPath")


def a_malformed_multipart(w: World) -> str:
    response = w.bob.put(
        f"utilities/upload/perlmutter/{w.bob_home}/m.txt",
        content=b'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\nno end',
        headers={"Content-Type": "multipart/form-data; boundary=xyz"},
    )
    return refused(response, 400, 422)


def a_json_instead_of_form(w: World) -> str:
    response = w.bob.post("compute/jobs/perlmutter", json={"job": "x", "isPath": False})
    return refused(response, 422)


def a_bad_utf8_form(w: World) -> str:
    response = w.bob.post(
        "utilities/command/perlmutter",
        content=b"executable=\xff\xfe%ZZ",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if response.status_code == 200:
        return task_refused(w, w.bob, response, "")
    return refused(response, 400, 422)


def a_garbage_bearer(w: World) -> str:
    with w.session("not.a.token") as garbage:
        return refused(garbage.get("account/"), 401)


ATTACKS: dict[str, tuple[str, Callable[[World], str]]] = {
    "alg none": ("client assertion with alg=none", a_alg_none),
    "hs256 public key": ("assertion signed HS256 with the client's public key", a_hs256_public_key),
    "wrong audience": ("assertion with aud=http://evil.example/c2id/token", a_wrong_audience),
    "expired assertion": ("assertion whose exp passed 10 minutes ago", a_expired_assertion),
    "replayed jti": ("the same assertion sent twice", a_replayed_jti),
    "unknown client": ("assertion for a client id nobody registered", a_unknown_client),
    "out-of-range ip": ("token request for a 10.0.0.0/8 client from 127.0.0.1", a_out_of_range_ip),
    "token alg none": ("access token with alg=none and sub=alice", a_access_token_alg_none),
    "token hs256": (
        "access token HS256-signed with the facility's public key",
        a_access_token_hs256_facility_key,
    ),
    "expired token": ("access token that expired 10 minutes ago", a_expired_access_token),
    "garbage token": ("Authorization: Bearer not.a.token", a_garbage_bearer),
    "cancel another's job": ("bob: DELETE alice's job", a_cancel_anothers_job),
    "read another's task": ("bob: GET alice's task", a_read_anothers_task),
    "cancel another's task": ("bob: DELETE alice's task", a_cancel_anothers_task),
    "read another's transfer": ("bob: GET alice's transfer", a_read_anothers_transfer),
    "transfer another's file": ("bob: transfer alice's file to his home", a_transfer_anothers_file),
    "ls another's home": ("bob: ls alice's home", a_ls_anothers_home),
    "download another's file": ("bob: download alice's file", a_download_anothers_file),
    "upload into another's home": ("bob: upload into alice's home", a_upload_into_anothers_home),
    "traversal": ("bob: download ~bob/../alice/secret.txt", a_traversal),
    "encoded traversal": ("bob: download ~bob/%2e%2e/alice/secret.txt", a_encoded_traversal),
    "state dir": ("bob: download the token-signing key", a_state_dir),
    "symlink download": ("bob: download through ~bob/to-alice -> alice's home", a_symlink_download),
    "symlink upload": ("bob: upload through ~bob/to-alice -> alice's home", a_symlink_upload),
    "green submit": ("green client: submit a job", a_green_submit),
    "green command": ("green client: run a command", a_green_command),
    "green upload": ("green client: upload a file", a_green_upload),
    "green group": ("green client: create a group", a_green_group),
    "oversize upload": ("upload of 64 KiB + 1 byte over a 64 KiB limit", a_oversize_upload),
    "oversize form": ("submit with an 8 MiB script", a_oversize_form),
    "malformed submit": ("submit without isPath", a_malformed_submit),
    "malformed multipart": ("upload with a truncated multipart body", a_malformed_multipart),
    "json body": ("submit as JSON instead of a form", a_json_instead_of_form),
    "bad utf-8": ("command form with invalid UTF-8 and a bad %-escape", a_bad_utf8_form),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_is_refused_and_changes_nothing(world, name):
    what, attack = ATTACKS[name]
    before = snapshot(world)
    message = attack(world)
    wait_for(
        lambda: (
            not any(t["status"] == "new" for t in world.facility.facility.store.list_tasks("bob"))
        ),
        30,
    )
    after = snapshot(world)
    # A refused attempt may leave a task behind saying so; nothing else may change.
    before["tasks"], after["tasks"] = before["tasks"]["alice"], after["tasks"]["alice"]
    assert after == before, f"{name} changed something"
    record_bad_input("facility (attack)", what, message)
    _REFUSED.append(name)


def test_attack_figures(world):
    # after the parametrised attacks (same module, defined later: pytest runs it after them)
    record(SECTION, "attacks tried (that held before)", len(ATTACKS))
    record(SECTION, "attacks refused with nothing changed", len(_REFUSED))
    record(SECTION, "attacks that got through", len(ATTACKS) - len(_REFUSED), zero=True)
    assert len(_REFUSED) == len(ATTACKS)


# -- what issue 10 found getting through (items 1, 2, 4-9): fixed, and kept so -----------------
@pytest.fixture(scope="module")
def defects(tmp_path_factory) -> Iterator[World]:
    yield from make_world(tmp_path_factory.mktemp("defects"), "ada", "ben")


def _run(w: World, client: httpx.Client, command: str) -> dict[str, Any]:
    response = client.post("utilities/command/perlmutter", data={"executable": command})
    return task_result(client, response.json()["task_id"])


# issue 10 item 1 (fixed): commands ran as the facility's OS user, reading its key
def test_a_command_cannot_read_the_signing_key(defects):
    key = defects.facility.config.signing_key_path
    output = str(_run(defects, defects.bob, f"cat {key}").get("output") or "")
    leaked = "PRIVATE KEY" in output
    assert not leaked, "bob's command read the token-signing key"


# issue 10 item 1 (fixed): jobs ran as the facility's OS user, writing anywhere
def test_a_job_cannot_write_into_another_home(defects):
    target = defects.alice_home / "from-bob.out"
    response = defects.bob.post(
        "compute/jobs/perlmutter",
        data={"job": script("echo planted", f"-o {target}"), "isPath": False},
    )
    task_result(defects.bob, response.json()["task_id"])
    time.sleep(3)
    assert not target.exists(), "bob's job wrote into alice's home"


# issue 10 item 1 (fixed): a hard link made by a command gets past the download path checks
def test_a_hard_link_to_the_key_cannot_be_downloaded(defects):
    key = defects.facility.config.signing_key_path
    _run(defects, defects.bob, f"ln {key} ~/k")
    response = defects.bob.get(f"utilities/download/perlmutter/{defects.bob_home}/k")
    leaked = "PRIVATE KEY" in response.text
    assert not leaked, "the signing key came back through a hard link"


# issue 10 item 2 (fixed): X-Forwarded-For from loopback bypasses a client's IP ranges
def test_x_forwarded_for_does_not_bypass_ip_ranges(defects):
    assertion = make_assertion(defects.creds["ranged"], defects.facility.token_url)
    response = _token_endpoint(defects, assertion, **{"X-Forwarded-For": "10.1.1.1"})
    if response.status_code == 200:
        SEEN_SECRETS.add(response.json()["access_token"])
    assert response.status_code in (401, 403)


# issue 10 item 4 (fixed): an assertion without jti is accepted (and can be replayed)
def test_an_assertion_without_jti_is_refused(defects):
    assertion = make_assertion(defects.creds["bob"], defects.facility.token_url, jti=None)
    response = _token_endpoint(defects, assertion)
    if response.status_code == 200:
        SEEN_SECRETS.add(response.json()["access_token"])
    assert response.status_code == 401


# issue 10 item 4 (fixed): an assertion that expires in the year 3000 is accepted
def test_an_assertion_living_for_ever_is_refused(defects):
    assertion = make_assertion(defects.creds["bob"], defects.facility.token_url, exp=32503680000)
    response = _token_endpoint(defects, assertion)
    if response.status_code == 200:
        SEEN_SECRETS.add(response.json()["access_token"])
    assert response.status_code == 401


# issue 10 item 4 (fixed): an assertion whose nbf is in the future is accepted
def test_an_assertion_not_yet_valid_is_refused(defects):
    now = int(time.time())
    assertion = make_assertion(defects.creds["bob"], defects.facility.token_url, nbf=now + 3600)
    response = _token_endpoint(defects, assertion)
    if response.status_code == 200:
        SEEN_SECRETS.add(response.json()["access_token"])
    assert response.status_code == 401


# issue 10 item 5 (fixed): the expected aud comes from the request's Host header
def test_the_audience_does_not_follow_the_host_header(defects):
    assertion = make_assertion(defects.creds["bob"], "http://evil.example/c2id/token")
    response = _token_endpoint(defects, assertion, Host="evil.example")
    if response.status_code == 200:
        SEEN_SECRETS.add(response.json()["access_token"])
    assert response.status_code == 401


# issue 10 item 6 (fixed): an upload to a 256-character name answers HTTP 500
def test_a_too_long_name_is_an_error_envelope(defects):
    response = defects.bob.put(
        f"utilities/upload/perlmutter/{defects.bob_home}/{'n' * 256}",
        files={"file": ("x", b"x")},
    )
    assert response.status_code == 200 and response.json()["status"] == "ERROR"
    assert "File name too long" in response.json()["error"]


# issue 10 item 6 (fixed): a 250-character name failed (its temporary name)
def test_a_250_character_name_uploads(defects):
    response = defects.bob.put(
        f"utilities/upload/perlmutter/{defects.bob_home}/{'n' * 250}",
        files={"file": ("x", b"x")},
    )
    assert response.status_code == 200 and response.json()["status"] == "OK", response.text


# issue 10 item 7 (fixed): project names from the admin CLI are not checked
def test_the_cli_refuses_a_project_name_with_a_path(defects):
    state = defects.facility.config.state_dir
    command = [sys.executable, "-m", "sfapi_jupyter", "facility", "client", "create", "--json"]
    command += ["--state", str(state), "--user", "carol", "--project", "../homes/alice"]
    made = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if made.returncode == 0:
        SEEN_SECRETS.add(json.loads(made.stdout)["private_key_pem"].strip())
    assert made.returncode != 0


# issue 10 item 8 (fixed): a 30-digit job id leaks an internal OverflowError
def test_a_30_digit_job_id_is_a_plain_error(defects):
    jobid = "1" * 30
    response = defects.bob.delete(f"compute/jobs/perlmutter/{jobid}")
    text = response.text
    if response.status_code == 200 and "task_id" in response.json():
        text = json.dumps(task_result(defects.bob, response.json()["task_id"]))
    assert response.status_code < 500 and "Overflow" not in text, text


# issue 10 item 9 (fixed): NERSC's group names such as t-3x9q1z got 400
def test_a_nersc_style_group_name_is_accepted(defects):
    response = defects.bob.post("account/groups", data={"name": "t-3x9q1z", "repo_name": "m4002"})
    assert response.status_code == 200, response.text
