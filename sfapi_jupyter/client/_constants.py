"""Endpoints, timeouts and environment variable names."""

from __future__ import annotations

import httpx

DEFAULT_API_URL = "https://api.nersc.gov/api/v1.2"
DEFAULT_TOKEN_URL = "https://oidc.nersc.gov/c2id/token"

ENV_API_URL = "SFAPI_API_URL"
ENV_TOKEN_URL = "SFAPI_TOKEN_URL"
ENV_CLIENT_ID = "SFAPI_CLIENT_ID"
ENV_KEY = "SFAPI_KEY"
ENV_SECRET = "SFAPI_SECRET"
#: How to give the client a key: every "needs an API client" message says it in these words
#: (the client's errors and the Jupyter server extension's jobs view).
HOW_TO_ADD_A_KEY = "set SFAPI_CLIENT_ID and SFAPI_KEY, or put a key in ~/.superfacility/"

#: Seconds: connect, and everything else, per HTTP request.
CONNECT_TIMEOUT = 10.0
REQUEST_TIMEOUT = 60.0
#: Renew an access token this many seconds before it expires.
TOKEN_LEEWAY = 60.0
#: Every connection a burst of requests opened is kept alive (httpx keeps 20): 40 submits at
#: once would otherwise open 20 connections again at every burst.
CONNECTION_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=100)
