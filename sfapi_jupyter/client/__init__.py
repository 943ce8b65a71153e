"""The async API core: a client for the whole SF API (no IPython or widget imports here)."""

from ._auth import BearerAuth, ClientCredentialsAuth, KeyRefusedWarning
from ._client import AsyncClient
from ._credentials import Credentials, discover_credentials
from ._errors import (
    ApiError,
    AuthenticationError,
    BadScriptError,
    CommandError,
    ConflictError,
    ConnectError,
    CredentialsError,
    H5Error,
    JobFailedError,
    JobNotReadyError,
    MachineUnavailableError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RequestTimeout,
    ScriptWarning,
    ServerError,
    SfApiError,
    SubmitError,
    SubmitWarning,
    TaskFailedError,
    UnexpectedAnswerError,
    ValidationError,
    WaitTimeout,
)
from ._retry import RetryPolicy
from ._sync import Client, Job, Machine, Transfer
from ._sync_h5 import H5Dataset, H5File
from .cost import JobCost
from .h5 import AnnularDarkField, AsyncH5File, BrightField, H5Image, H5Node
from .models import CommandResult, JobInfo, JobState, RemoteEntry
from .resources.groups import AsyncGroup, Group
from .resources.jobs import AsyncJob
from .resources.machine import AsyncMachine
from .resources.storage import AsyncTransfer

__all__ = [
    "AnnularDarkField",
    "ApiError",
    "AsyncClient",
    "AsyncGroup",
    "AsyncH5File",
    "AsyncJob",
    "AsyncMachine",
    "AsyncTransfer",
    "AuthenticationError",
    "BadScriptError",
    "BearerAuth",
    "BrightField",
    "Client",
    "ClientCredentialsAuth",
    "CommandError",
    "CommandResult",
    "ConflictError",
    "ConnectError",
    "Credentials",
    "CredentialsError",
    "Group",
    "H5Dataset",
    "H5Error",
    "H5File",
    "H5Image",
    "H5Node",
    "Job",
    "JobCost",
    "JobFailedError",
    "JobInfo",
    "JobNotReadyError",
    "JobState",
    "KeyRefusedWarning",
    "Machine",
    "MachineUnavailableError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitedError",
    "RemoteEntry",
    "RequestTimeout",
    "RetryPolicy",
    "ScriptWarning",
    "ServerError",
    "SfApiError",
    "SubmitError",
    "SubmitWarning",
    "TaskFailedError",
    "Transfer",
    "UnexpectedAnswerError",
    "ValidationError",
    "WaitTimeout",
    "discover_credentials",
]
