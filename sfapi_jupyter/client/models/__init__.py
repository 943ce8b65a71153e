"""Data models of the SF API: pydantic, no I/O."""

from ._base import ModelList
from .account import ApiClient, Group, GroupMember, Project, Role, User
from .files import RemoteEntry
from .jobs import TERMINAL_STATES, JobInfo, JobState
from .status import Change, Note, Outage, Status, StatusValue
from .tasks import CommandResult, Task, TaskStatus
from .transfers import TransferInfo, TransferStatus

__all__ = [
    "TERMINAL_STATES",
    "ApiClient",
    "Change",
    "CommandResult",
    "Group",
    "GroupMember",
    "JobInfo",
    "JobState",
    "ModelList",
    "Note",
    "Outage",
    "Project",
    "RemoteEntry",
    "Role",
    "Status",
    "StatusValue",
    "Task",
    "TaskStatus",
    "TransferInfo",
    "TransferStatus",
    "User",
]
