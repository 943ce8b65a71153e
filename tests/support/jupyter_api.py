"""A Jupyter server's REST API as a test calls it: with a token of the server's user."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


def jupyter_api(base_url: str, token: str, path: str, method: str = "GET") -> Any:
    """``method`` ``base_url + path`` (e.g. ``/api/sessions``) with ``token``: the JSON
    answer, or None when the answer is empty (a DELETE's 204)."""
    request = urllib.request.Request(
        f"{base_url}{path}", method=method, headers={"Authorization": f"token {token}"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read()
    return json.loads(body) if body else None
