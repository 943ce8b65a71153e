"""One error tree for everything the client can raise.

::

    SfApiError
    ├── AuthenticationError      401; bad key or client; the token endpoint said no
    │   └── CredentialsError     no usable key: missing, unreadable, wrong permissions
    ├── PermissionDeniedError    403; a green client writing, a source IP outside the ranges
    ├── NotFoundError            404; a job, task or path that does not exist
    ├── ConflictError            409; a name already taken (a group's)
    ├── ValidationError          422; the request itself was malformed
    ├── RateLimitedError         429 (retried first, honouring Retry-After)
    ├── ServerError              5xx (502/503/504 retried first)
    ├── ConnectError             the server could not be reached (retried first)
    ├── RequestTimeout           the server did not answer in time (retried first)
    ├── WaitTimeout              a wait for a job or task ran out (``timeout=``)
    ├── ApiError                 HTTP 200 with ``"status": "ERROR"``
    │   ├── BadScriptError       sbatch refused the script
    │   ├── CommandError         a command exited non-zero (only when asked: ``check=True``)
    │   └── UnexpectedAnswerError  the API or token endpoint answered in a shape not its own
    ├── TaskFailedError          a task ended ``failed`` or ``cancelled``
    ├── JobFailedError           a job ended FAILED, TIMEOUT, … (only when asked)
    ├── MachineUnavailableError  a submit or command to a machine whose status is ``unavailable``
    ├── SubmitError              background submits failed (the summary: ``.jobs``, ``.failed``)
    └── JobNotReadyError         a job submitted in the background has no id yet

Every message says what happened and what to do; no message ever holds a token or a key:
whatever a server echoes back (its error text, its body) passes through :func:`redact`
before it reaches an exception.
"""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import math
import re
from typing import Any

import httpx

#: Secrets this process holds (access tokens, client assertions): an exception never shows
#: them, even when a server echoes one in its error text. Bounded: a long-lived kernel renews
#: its token every few minutes, and only the recent ones can still be echoed.
_SECRETS: collections.deque[str] = collections.deque(maxlen=64)
#: What a token looks like, whoever sent it: a JWT (three base64url parts, the first a JSON
#: header, ``eyJ``), and a word of 8 or more characters after "Bearer" (an opaque token, in
#: a header echoed back; not the prose of "send a Bearer token" or "Bearer <access token>").
_TOKEN_SHAPED = re.compile(
    r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"
    r"|(?<![\w-])(?i:bearer)(?:\s|%20|\+)+[A-Za-z0-9._~+/=-]{8,}"
)
HIDDEN = "<redacted>"


def remember_secret(secret: str) -> None:
    """Hide ``secret`` from every later exception message (tokens, assertions)."""
    if secret and len(secret) >= 8 and secret not in _SECRETS:
        _SECRETS.append(secret)


def redact(value: Any) -> Any:
    """``value`` (a string, or lists and dicts of them) with every secret and token-shaped
    text replaced by ``<redacted>``."""
    if isinstance(value, str):
        for secret in list(_SECRETS):
            if secret in value:
                value = value.replace(secret, HIDDEN)
        return _TOKEN_SHAPED.sub(
            lambda m: "Bearer " + HIDDEN if m.group(0)[:1] in "bB" else HIDDEN, value
        )
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value


class SfApiError(Exception):
    """Base of every error raised by sfapi_jupyter's client."""

    def __init__(self, message: str, *, status_code: int | None = None, body: Any = None):
        message = redact(str(message))
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.body = redact(body)


class AuthenticationError(SfApiError):
    """The API or the token endpoint refused the credentials (HTTP 401)."""


class CredentialsError(AuthenticationError):
    """No usable client id and key: missing, unreadable, malformed or too widely readable."""


class PermissionDeniedError(SfApiError):
    """Valid credentials that may not do this (HTTP 403)."""


class NotFoundError(SfApiError):
    """The job, task, path or resource does not exist (HTTP 404)."""


class ConflictError(SfApiError):
    """The name or thing asked for is already taken (HTTP 409)."""


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


class UnexpectedAnswerError(ApiError):
    """The API or the token endpoint answered, but not in the shape its contract gives (not
    JSON, a list for an object, a field of the wrong type): a proxy, an outage page, or an
    API that changed. The message names the call and what was wrong."""


class CommandError(ApiError):
    """A command exited non-zero (raised only with ``check=True``)."""

    def __init__(self, message: str, *, result: Any = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.result = result


class H5Error(ApiError):
    """Reading an HDF5 file on the machine was refused or failed (``machine.h5``).

    ``reason`` says which: ``missing_file``, ``not_a_file``, ``unreadable``, ``not_hdf5``,
    ``no_dataset``, ``not_a_dataset``, ``not_numeric``, ``missing_filter``, ``bad_index``,
    ``not_4d``,
    ``detector_outside``, ``no_python`` (no h5py and numpy in the chosen Python),
    ``job_failed`` (with ``job=``: the job ended without an answer, or outlived the
    timeout) or ``failed``; the message says what to do.
    """

    def __init__(self, message: str, *, reason: str = "failed", **kwargs: Any):
        super().__init__(message, **kwargs)
        self.reason = reason


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
    """The server's Retry-After in seconds (RFC 9110: seconds or an HTTP date), or None.

    What is not a finite, non-negative delay (``nan``, ``inf``, ``-5``, garbage) counts as
    absent, so the client's own backoff applies: a ``nan`` would otherwise sleep for no
    time at all and spend every retry at once. The policy caps what is left.
    """
    value = (response.headers.get("retry-after") or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        seconds = max((when - dt.datetime.now(dt.timezone.utc)).total_seconds(), 0.0)
    if not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _unknown_machine(body: Any) -> str | None:
    """For a 422 about the machine in the path: which machine, and the ones the API knows
    (FastAPI names them in its message, as NERSC's API does)."""
    details = body.get("detail") if isinstance(body, dict) else None
    for item in details if isinstance(details, list) else []:
        if isinstance(item, dict) and list(item.get("loc") or [])[-2:] == ["path", "machine"]:
            given = item.get("input")
            which = repr(given) if isinstance(given, str) else "The machine"
            known = str(item.get("msg", "")).removeprefix("Input should be ").strip()
            return (
                f"{which} is not a machine the API knows; the machines are {known}. "
                "Pick one with -m (magics) or compute(NAME)"
            )
    return None


def json_answer(
    response: httpx.Response, where: str, shape: type | tuple[type, ...] = (dict, list)
) -> Any:
    """The JSON an API call answered with, if it is of ``shape`` (``dict`` or ``list``);
    else :class:`UnexpectedAnswerError` (rather than a TypeError later on)."""
    try:
        body = response.json()
    except ValueError:
        raise UnexpectedAnswerError(
            f"{where}: the API answered with something that is not JSON"
        ) from None
    if not isinstance(body, shape):
        wanted = "an object" if shape is dict else "a list" if shape is list else "JSON"
        raise UnexpectedAnswerError(
            f"{where}: the API's answer is not {wanted} (it is {type(body).__name__})"
        )
    return body


def json_object(response: httpx.Response, where: str) -> dict[str, Any]:
    """The JSON object an API call answered with, or :class:`UnexpectedAnswerError`."""
    body: dict[str, Any] = json_answer(response, where, dict)
    return body


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
    if code == 409:
        return ConflictError(f"{detail} ({where})", **kwargs)
    if code == 422:
        unknown = _unknown_machine(body)
        if unknown:
            return ValidationError(f"{unknown} ({where})", **kwargs)
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
