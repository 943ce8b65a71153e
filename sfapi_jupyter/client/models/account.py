"""The user, their projects and allocation, roles, groups and API clients."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ._base import Model


class User(Model):
    uid: int
    name: str
    firstname: str | None = None
    lastname: str | None = None
    middlename: str | None = None
    workphone: str | None = None
    other_phones: str | None = Field(None, alias="otherPhones")
    email: str | None = None


class Project(Model):
    """A project (repo) with its allocation in node-hours."""

    id: int
    description: str
    repo_name: str
    iris_role: str | None = None
    hours_given: float | None = None
    hours_used: float | None = None
    cpu_hours_given: float | None = None
    cpu_hours_used: float | None = None
    gpu_hours_given: float | None = None
    gpu_hours_used: float | None = None

    @property
    def cpu_hours_remaining(self) -> float | None:
        if self.cpu_hours_given is None or self.cpu_hours_used is None:
            return None
        return self.cpu_hours_given - self.cpu_hours_used

    @property
    def gpu_hours_remaining(self) -> float | None:
        if self.gpu_hours_given is None or self.gpu_hours_used is None:
            return None
        return self.gpu_hours_given - self.gpu_hours_used

    @property
    def hours_remaining(self) -> float | None:
        if self.hours_given is None or self.hours_used is None:
            return None
        return self.hours_given - self.hours_used


class Role(Model):
    id: int
    description: str
    repo_name: str
    iris_role: str | None = None


class GroupMember(Model):
    uid: int
    name: str


class Group(Model):
    gid: int
    name: str
    users: list[GroupMember] = []


class ApiClient(Model):
    """One of the user's SF API clients."""

    name: str
    client_id: str = Field(alias="clientId")
    expires_at: dt.datetime = Field(alias="expiresAt")
    comments: str | None = None

    @property
    def expires_in(self) -> dt.timedelta:
        now = dt.datetime.now(self.expires_at.tzinfo or dt.timezone.utc)
        return self.expires_at - now
