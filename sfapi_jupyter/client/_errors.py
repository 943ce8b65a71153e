"""One error tree for everything the client can raise.

::

    SfApiError
    ├── AuthenticationError      401; bad key or client; the token endpoint said no
    │   └── CredentialsError     no usable key: missing, unreadable, wrong permissions
    ├── PermissionDeniedError    403; a green client writing, a source IP outside the ranges
    ├── NotFoundError            404; a job, task or path that does not exist
    ├── ValidationError          422; the request itself was malformed
    ├── RateLimitedError         429 (retried first, honouring Retry-After)
    ├── ServerError              5xx (502/503/504 retried first)
    ├── ConnectError             the server could not be reached (retried first)
    ├── RequestTimeout           the server did not answer in time (retried first)
    ├── WaitTimeout              a wait for a job or task ran out (``timeout=``)
    ├── ApiError                 HTTP 200 with ``"status": "ERROR"``
    │   ├── BadScriptError       sbatch refused the script
    │   └── CommandError         a command exited non-zero (only when asked: ``check=True``)
    ├── TaskFailedError          a task ended ``failed`` or ``cancelled``
    ├── JobFailedError           a job ended FAILED, TIMEOUT, … (only when asked)
    ├── MachineUnavailableError  a submit or command to a machine whose status is ``unavailable``
    ├── SubmitError              background submits failed (the summary: ``.jobs``, ``.failed``)
    └── JobNotReadyError         a job submitted in the background has no id yet

Every message says what happened and what to do; no message ever holds a token or a key.
"""

from __future__ import annotations

from typing import Any

import httpx


class SfApiError(Exception):
    """Base of every error raised by sfapi_jupyter's client."""

    def __init__(self, message: str, *, status_code: int | None = None, body: Any = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = body


class AuthenticationError(SfApiError):
    """The API or the token endpoint refused the credentials (HTTP 401)."""


class CredentialsError(AuthenticationError):
    """No usable client id and key: missing, unreadable, malformed or too widely readable."""


class PermissionDeniedError(SfApiError):
    """Valid credentials that may not do this (HTTP 403)."""


class NotFoundError(SfApiError):
    """The job, task, path or resource does not exist (HTTP 404)."""


class ValidationError(SfApiError):
    """The API rejected the request's shape (HTTP 422)."""


class RateLimitedError(SfApiError):
    """Too many requests (HTTP 429); ``retry_after`` says how long the server asked to wait."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(SfApiError):
    """The API failed (HTTP 5xx)."""


class ConnectError(SfApiError):
    """The API could not be reached (named as httpx names it; not Python's ConnectionError)."""


class RequestTimeout(SfApiError):
    """The API or the token endpoint did not answer in time."""


class WaitTimeout(SfApiError):
    """A wait for a job or a task ran out before it ended (the job or task goes on)."""


class ApiError(SfApiError):
    """The API answered HTTP 200 with ``"status": "ERROR"``."""


class BadScriptError(ApiError):
    """sbatch refused the batch script; the message is sbatch's own."""


class CommandError(ApiError):
    """A command exited non-zero (raised only with ``check=True``)."""

    def __init__(self, message: str, *, result: Any = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.result = result


class TaskFailedError(SfApiError):
    """An asynchronous task ended ``failed`` or ``cancelled``."""


class JobFailedError(SfApiError):
    """A job ended in a state other than COMPLETED (raised only when asked)."""

    def __init__(self, message: str, *, job: Any = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.job = job


class MachineUnavailableError(SfApiError):
    """A submit or command went to a machine whose status is ``unavailable`` (maintenance or
    an outage); ``status`` holds the machine's status, with its notes."""

    def __init__(self, message: str, *, status: Any = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.status = status


class SubmitError(SfApiError):
    """Submits made in the background (``submit_nowait``, ``submit_many``) failed.

    ``jobs`` are the jobs that were submitted; ``failed`` the handles of those that were not,
    each with its ``submit_error`` (the error a blocking ``submit`` would have raised).
    """

    def __init__(self, message: str, *, jobs: Any = (), failed: Any = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.jobs = list(jobs)
        self.failed = list(failed)


class JobNotReadyError(SfApiError):
    """A job submitted in the background has no id yet (``await job.ready()`` first)."""


class SubmitWarning(UserWarning):
    """Background submits failed and nobody looked (shown when the client closes)."""


class ScriptWarning(UserWarning):
    """A batch script will run, but probably not as meant (shown before submit)."""


def _detail(response: httpx.Response) -> tuple[str, Any]:
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        return (text[:300] or response.reason_phrase), None
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("error_description") or body.get("error")
        if isinstance(detail, list):  # FastAPI validation errors
            parts = []
            for item in detail:
                if isinstance(item, dict):
                    loc = ".".join(str(p) for p in item.get("loc", []))
                    parts.append(f"{loc}: {item.get('msg', '')}")
            detail = "; ".join(parts)
        if detail:
            return str(detail), body
    return response.reason_phrase or f"HTTP {response.status_code}", body


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def error_for_response(response: httpx.Response) -> SfApiError:
    """The one place where an HTTP error status becomes a typed error."""
    code = response.status_code
    detail, body = _detail(response)
    where = f"{response.request.method} {response.request.url.path}"
    kwargs: dict[str, Any] = {"status_code": code, "body": body}
    if code == 401:
        return AuthenticationError(
            f"{detail} ({where}). Check the client id and key, and that the client has not "
            "expired or been revoked.",
            **kwargs,
        )
    if code == 403:
        return PermissionDeniedError(f"{detail} ({where})", **kwargs)
    if code == 404:
        return NotFoundError(f"{detail} ({where})", **kwargs)
    if code == 422:
        return ValidationError(f"The API rejected the request: {detail} ({where})", **kwargs)
    if code == 429:
        return RateLimitedError(
            f"Rate limited by the API ({where}); retry later",
            retry_after=retry_after_seconds(response),
            **kwargs,
        )
    if code >= 500:
        return ServerError(
            f"The API failed with HTTP {code} ({where}): {detail}. Try again; if it persists, "
            "check the facility's status.",
            **kwargs,
        )
    return SfApiError(f"Unexpected HTTP {code} from {where}: {detail}", **kwargs)
