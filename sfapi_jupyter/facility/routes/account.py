"""``/account``: the caller's identity, projects, roles, groups and API clients."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException

from ..deps import CurrentIdentity, FacilityDep, WriterIdentity
from ..models import AccountError
from ..unix import MAX_GROUP_NAME, unix_name_problem

router = APIRouter(prefix="/account", tags=["account"])

USER_FIELDS = (
    "uid",
    "name",
    "firstname",
    "lastname",
    "middlename",
    "workphone",
    "otherPhones",
    "email",
)


class BatchGroupAction(str, Enum):
    batch_add = "batch_add"
    batch_remove = "batch_remove"


@router.get("", include_in_schema=False)
@router.get("/")
def get_user(
    identity: CurrentIdentity, facility: FacilityDep, username: str | None = None
) -> dict[str, Any]:
    """A user's information (default: the token's owner)."""
    doc = facility.accounts.user_info(username or identity.user.name)
    if doc is None:
        raise HTTPException(404, f"Not found: no user {username!r}")
    return {k: doc[k] for k in USER_FIELDS}


@router.get("/projects")
def get_projects(identity: CurrentIdentity, facility: FacilityDep) -> list[dict[str, Any]]:
    """The caller's projects with allocation hours given and used (CPU and GPU node-hours)."""
    projects = []
    memberships = facility.store.memberships(identity.user.name)
    # summed as jobs finish (store_jobs), not over every job the facility ever ran
    used = facility.store.node_hours_used(doc["repo_name"] for doc, _ in memberships)
    for doc, role in memberships:
        repo = doc["repo_name"]
        cpu_used = doc["cpu_base_used"] + round(used.get((repo, "cpu"), 0.0), 4)
        gpu_used = doc["gpu_base_used"] + round(used.get((repo, "gpu"), 0.0), 4)
        projects.append(
            {
                "id": doc["id"],
                "description": doc["description"],
                "repo_name": repo,
                "iris_role": role,
                "hours_given": doc["cpu_hours_given"] + doc["gpu_hours_given"],
                "hours_used": cpu_used + gpu_used,
                "project_hours_given": doc["cpu_hours_given"] + doc["gpu_hours_given"],
                "project_hours_used": cpu_used + gpu_used,
                "cpu_hours_given": doc["cpu_hours_given"],
                "cpu_hours_used": cpu_used,
                "cpu_project_hours_given": doc["cpu_hours_given"],
                "cpu_project_hours_used": cpu_used,
                "gpu_hours_given": doc["gpu_hours_given"],
                "gpu_hours_used": gpu_used,
                "gpu_project_hours_given": doc["gpu_hours_given"],
                "gpu_project_hours_used": gpu_used,
                "projdir_usage": [],
                "project_projdir_usage": None,
                "hpss_usage": [],
            }
        )
    return projects


@router.get("/roles")
def get_roles(identity: CurrentIdentity, facility: FacilityDep) -> list[dict[str, Any]]:
    """The caller's role in each project."""
    return [
        {
            "id": doc["id"],
            "description": doc["description"],
            "repo_name": doc["repo_name"],
            "iris_role": role,
        }
        for doc, role in facility.store.memberships(identity.user.name)
    ]


@router.get("/clients")
def get_clients(identity: CurrentIdentity, facility: FacilityDep) -> list[dict[str, Any]]:
    """The caller's SF API clients, with their expiry."""
    return [
        {
            "name": doc["name"],
            "clientId": doc["client_id"],
            "expiresAt": doc["expires_at"],
            "comments": doc["comments"] + (" (revoked)" if doc["revoked"] else ""),
        }
        for doc in facility.accounts.list_clients(identity.user.name)
    ]


def _group_stats(facility: FacilityDep, name: str) -> dict[str, Any]:
    group = facility.store.get_group(name)
    if group is None:
        raise HTTPException(404, f"Not found: no group {name!r}")
    users = []
    for member in group["members"]:
        info = facility.accounts.user_info(member)
        if info is not None:
            users.append({"uid": info["uid"], "name": member})
    return {"gid": group["gid"], "name": name, "users": users}


@router.get("/groups")
def get_groups(identity: CurrentIdentity, facility: FacilityDep) -> dict[str, Any]:
    """Groups the caller belongs to."""
    names = facility.store.groups_of(identity.user.name)
    return {"groups": [_group_stats(facility, n) for n in names]}


@router.post("/groups")
def create_group(
    identity: WriterIdentity,
    facility: FacilityDep,
    name: Annotated[str, Form()],
    repo_name: Annotated[str, Form()],
) -> dict[str, Any]:
    """Create a group in one of the caller's projects."""
    # NERSC: at most 8 ASCII characters (CONTRACT.md); which ones is not published, so
    # whatever Unix accepts in a group name (NERSC takes ``t-3x9q1z``).
    problem = unix_name_problem(name, MAX_GROUP_NAME)
    if len(name) > 8:
        problem = "it is longer than 8 characters"
    if problem is not None:
        raise HTTPException(400, f"Group name {name!r} is not valid: {problem}")
    if repo_name not in identity.user.projects:
        raise HTTPException(
            403, f"You are not a member of project {repo_name!r}; groups belong to a project"
        )
    try:
        facility.accounts.create_group(name, repo_name, identity.user.name)
    except FileExistsError as exc:
        # Users, projects and groups share one namespace (a user's personal group has the
        # user's name), so a group may not take a user's or a project's name either.
        raise HTTPException(
            409, f"{name!r} is already the name of {exc.args[0]}; choose another group name"
        ) from None
    except AccountError as exc:
        raise HTTPException(400, str(exc)) from None
    return _group_stats(facility, name)


@router.get("/groups/{group}")
def get_group(group: str, identity: CurrentIdentity, facility: FacilityDep) -> dict[str, Any]:
    """One group and its members."""
    return _group_stats(facility, group)


@router.put("/groups/{group}")
def update_group(
    group: str,
    identity: WriterIdentity,
    facility: FacilityDep,
    usernames: Annotated[str, Form()],
    action: Annotated[BatchGroupAction, Form()],
) -> dict[str, Any]:
    """Add users to a group or remove them (``usernames`` comma-separated)."""
    doc = facility.store.get_group(group)
    if doc is None:
        raise HTTPException(404, f"Not found: no group {group!r}")
    if not facility.accounts.may_change_group(doc, identity.user.name):
        whose = (
            f"it is the personal group of user {group!r}"
            if doc["repo_name"] is None
            else f"only its owner ({doc['owner']}) or the PI of project {doc['repo_name']!r} may"
        )
        raise HTTPException(
            403, f"You may not change group {group!r}: {whose}; nothing was changed"
        )
    names = [n.strip() for n in usernames.split(",") if n.strip()]
    unknown = [n for n in names if facility.accounts.user_info(n) is None]
    if unknown:
        raise HTTPException(400, f"No such user(s): {', '.join(unknown)}; nothing was changed")
    for name in names:
        facility.accounts.set_group_member(group, name, action is BatchGroupAction.batch_add)
    return _group_stats(facility, group)
