"""The account: who you are, your projects' allocation, and your API client's own state.

:func:`account_view` is what ``%sfaccount`` shows. The SF API's ``/account/clients`` gives
each client's name, id, expiry and comments; it has no field for the security level or the
source IP ranges. They are read from fields named so if the API ever adds them, else from
the comments (Iris's, or the local facility's "red client, source ranges ..."), else the
level is inferred from the lifetime left (only a green client lives beyond 30 days).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from typing import Any

from ..client import AuthenticationError, Client
from ..client.models import ApiClient, Project, User
from ..widgets import AccountView
from ..widgets.support.formatting import format_duration
from ..widgets.support.mainthread import dispatcher
from .session import get_client

#: Warn when the client expires within this many days.
EXPIRY_WARNING_DAYS = 7
#: Only green clients live longer than this (NERSC: red 2 days, intermediate 30, green 60).
LONGEST_NON_GREEN = dt.timedelta(days=30)

_LEVEL = re.compile(r"\b(red|orange|yellow|green)\b", re.IGNORECASE)
_RANGE = re.compile(r"(?<![\w:.])[0-9A-Fa-f:.]*[0-9A-Fa-f]/\d{1,3}\b")

NO_KEY = (
    "The account needs an API client key: put it in ~/.superfacility/ (the client id on "
    "the first line, then the private key; chmod 600), or set SFAPI_CLIENT_ID and SFAPI_KEY. "
    "Status and outages (%sfstatus, %sfoutages) work without one."
)


def client_state(api: ApiClient | None, now: dt.datetime | None = None) -> dict[str, Any]:
    """What the account view shows of one API client: never its key."""
    if api is None:
        return {}
    now = now or dt.datetime.now(dt.timezone.utc)
    extra = api.model_extra or {}
    comments = api.comments or ""
    level, source = None, ""
    for field in ("level", "securityLevel", "security_level", "color", "colour"):
        if isinstance(extra.get(field), str) and extra[field]:
            level, source = extra[field].lower(), "api"
            break
    if level is None and (match := _LEVEL.search(comments)):
        level, source = match[1].lower(), "comments"
    expires = (
        api.expires_at if api.expires_at.tzinfo else api.expires_at.replace(tzinfo=dt.timezone.utc)
    )
    left = expires - now
    if level is None and left > LONGEST_NON_GREEN:
        level, source = "green", "lifetime"
    ranges = extra.get("ipRanges") or extra.get("ip_ranges") or _RANGE.findall(comments)
    return {
        "name": api.name,
        "client_id": api.client_id,
        "level": level or "",
        "level_source": source,
        "ip_ranges": [str(r) for r in ranges],
        "expires_at": expires.isoformat(timespec="seconds"),
        "expires_in_s": left.total_seconds(),
        "revoked": "revoked" in comments.lower(),
        "comments": comments,
    }


def project_row(project: Project) -> dict[str, Any]:
    return {
        "project": project.repo_name,
        "description": project.description,
        "role": project.iris_role or "",
        "cpu_given": project.cpu_hours_given,
        "cpu_used": project.cpu_hours_used,
        "cpu_left": project.cpu_hours_remaining,
        "gpu_given": project.gpu_hours_given,
        "gpu_used": project.gpu_hours_used,
        "gpu_left": project.gpu_hours_remaining,
    }


def account_messages(
    state: dict[str, Any], projects: list[dict[str, Any]], token_only: bool, keyless: str = ""
) -> list[dict[str, str]]:
    """Warnings a user needs before they try something that will fail."""
    out: list[dict[str, str]] = []

    def add(level: str, text: str) -> None:
        out.append({"level": level, "text": text})

    if keyless:
        add(
            "info",
            f"Keyless ({keyless}): your projects are your Slurm accounts; their "
            "node-hour balances need an SF API key in ~/.superfacility/.",
        )
    elif token_only:
        add(
            "info",
            "This session uses an access token, not an API client: its security "
            "level and expiry are not known here.",
        )
    elif not state:
        add(
            "info",
            "This session's API client is not among your clients; it may belong "
            "to another user or have been deleted.",
        )
    if state:
        left = state["expires_in_s"]
        if state["revoked"]:
            add(
                "error",
                f"This client ({state['client_id']}) is revoked: make a new one in "
                "Iris (Profile → Superfacility API Clients).",
            )
        elif left <= 0:
            add(
                "error",
                "This client has expired: make a new one in Iris "
                "(Profile → Superfacility API Clients).",
            )
        elif left < EXPIRY_WARNING_DAYS * 86400:
            at = dt.datetime.fromisoformat(state["expires_at"]).astimezone()
            add(
                "warning",
                f"This client expires in {format_duration(left)} "
                f"({at:%b %d at %H:%M %Z}). Make a new one in Iris before then; "
                "red clients last 2 days.",
            )
        if state["level"] == "green":
            add(
                "warning",
                "This client is green (low risk): it can read status, jobs and "
                "files, but cannot submit jobs, run commands or upload. For those, "
                "make a red client in Iris.",
            )
        elif not state["level"]:
            add(
                "info",
                "The API does not say this client's security level; only a red "
                "client can submit jobs and run commands.",
            )
    for p in projects:
        for arch in ("cpu", "gpu"):
            given, left = p[f"{arch}_given"], p[f"{arch}_left"]
            if given and left is not None and left <= 0.1 * given:
                add(
                    "warning",
                    f"Project {p['project']} has {max(left, 0):,.0f} of "
                    f"{given:,.0f} {arch.upper()} node-hours left.",
                )
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda m: order.get(m["level"], 3))


async def _read(client: Client) -> tuple[User, list[Project], list[ApiClient]]:
    user, projects, clients = await asyncio.gather(
        client.aio.user(), client.aio.projects(), client.aio.clients()
    )
    return user, list(projects), list(clients)


def account_view(client: Client | None = None) -> AccountView:
    """An ``AccountView``: the user, their projects' node-hours, and this client's state.

    ``view.dataframe`` is the projects as a pandas DataFrame (CPU and GPU node-hours
    given, used and left). The view warns about what will fail: a green client (it cannot
    submit), a client that expires within 7 days, a project nearly out of hours.

    Raises
    ------
    AuthenticationError
        No API client key (the account is not public), or the key was refused.

    Examples
    --------
    >>> view = account_view()                                 # doctest: +SKIP
    >>> view.dataframe[["project", "cpu_left", "gpu_left"]]   # doctest: +SKIP
    """
    dispatcher().bind()
    client = client or get_client()
    if not client.aio.authenticated:
        raise AuthenticationError(NO_KEY)
    user, projects, clients = client.run_coroutine(_read(client))
    credentials = client.aio.credentials
    own = None
    if credentials is not None:
        own = next((c for c in clients if c.client_id == credentials.client_id), None)
    state = client_state(own)
    rows = [project_row(p) for p in projects]
    return AccountView(
        user={
            "name": user.name,
            "uid": user.uid,
            "firstname": user.firstname or "",
            "lastname": user.lastname or "",
            "email": user.email or "",
        },
        projects=rows,
        api_client=state,
        messages=account_messages(
            state, rows, token_only=credentials is None, keyless=client.aio.keyless
        ),
        checked_at=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    )
