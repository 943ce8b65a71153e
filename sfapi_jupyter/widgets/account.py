"""``AccountView``: who you are, your projects' node-hours, and your API client's state."""

from __future__ import annotations

from html import escape
from typing import Any

import traitlets as t

from ._base import SfWidget
from ._static import css, esm
from .support import static_html
from .support.formatting import STATUS

#: Columns of :attr:`AccountView.dataframe`, in order.
PROJECT_COLUMNS = [
    "project",
    "description",
    "role",
    "cpu_given",
    "cpu_used",
    "cpu_left",
    "gpu_given",
    "gpu_used",
    "gpu_left",
]


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


class AccountView(SfWidget):
    """The user, their projects' CPU and GPU node-hours (given, used, left) and the API
    client's security level, IP ranges and expiry, with warnings before they bite.

    Examples
    --------
    >>> view = AccountView(user={"name": "elvis"}, projects=[{"project": "m1234",
    ...     "description": "", "role": "PI", "cpu_given": 100.0, "cpu_used": 25.0,
    ...     "cpu_left": 75.0, "gpu_given": 0.0, "gpu_used": 0.0, "gpu_left": 0.0}])
    >>> view.dataframe.loc[0, "cpu_left"]                   # doctest: +SKIP
    75.0
    """

    _esm = esm("account")
    _css = css("account")

    user = t.Dict().tag(sync=True)
    """name, uid, firstname, lastname, email. - Type: dict"""
    projects: t.List[dict[str, Any]] = t.List().tag(sync=True)
    """One row per project (the :data:`PROJECT_COLUMNS`). - Type: list[dict]"""
    api_client = t.Dict().tag(sync=True)
    """This session's API client: name, client_id, level, level_source, ip_ranges,
    expires_at, expires_in_s, revoked (empty if not known). Never a key. - Type: dict"""
    messages: t.List[dict[str, str]] = t.List().tag(sync=True)
    """``{"level": "warning"|"error"|"info", "text": ...}``, most important first.
    - Type: list[dict]"""
    checked_at = t.Unicode("").tag(sync=True)
    """When this was read (ISO). - Type: str"""

    @property
    def dataframe(self) -> Any:
        """The projects as a pandas DataFrame (node-hours given, used and left)."""
        import pandas as pd

        return pd.DataFrame(
            [{c: p.get(c) for c in PROJECT_COLUMNS} for p in self.projects], columns=PROJECT_COLUMNS
        )

    # -- static -------------------------------------------------------------------------------
    def summary_text(self) -> str:
        level = self.api_client.get("level") or "unknown level"
        return (
            f"AccountView: {self.user.get('name', '?')}, {len(self.projects)} project(s), "
            f"client {level}"
        )

    def summary_html(self) -> str:
        user = self.user
        full = " ".join(x for x in (user.get("firstname"), user.get("lastname")) if x)
        head = static_html.heading(
            static_html.strong(f"{user.get('name', '?')}"),
            static_html.muted(full) if full else "",
            static_html.muted(f"checked {self.checked_at}") if self.checked_at else "",
        )
        notes = "".join(static_html.message(m["text"], m["level"]) for m in self.messages)
        rows = [
            [escape(p["project"]), escape(p.get("role") or ""), _usage(p, "cpu"), _usage(p, "gpu")]
            for p in self.projects
        ]
        table = (
            static_html.table(["project", "role", "CPU node-hours", "GPU node-hours"], rows)
            if rows
            else static_html.muted("No projects.")
        )
        api = self.api_client
        facts = static_html.facts(
            [
                ("client", str(api.get("name") or "")),
                ("level", str(api.get("level") or "")),
                ("IP ranges", ", ".join(api.get("ip_ranges") or [])),
                ("expires", str(api.get("expires_at") or "")),
            ]
        )
        return static_html.box(head + notes + table + facts, kind="account")


def _usage(project: dict[str, Any], arch: str) -> str:
    """The bar and "N of M left" for one architecture's node-hours (``arch``: cpu or gpu)."""
    given = project.get(f"{arch}_given")
    left = escape(f"{_hours(project.get(f'{arch}_left'))} of {_hours(given)} left")
    return _bar(project.get(f"{arch}_used"), given) + " " + left


def _bar(used: float | None, given: float | None) -> str:
    if not given:
        return ""
    share = max(0.0, min(1.0, (used or 0.0) / given))
    # as the live view: the status colours of down and degraded, else the accent
    colours = STATUS["colours"]
    colour = (
        colours["unavailable"][0]
        if share >= 0.9
        else colours["degraded"][0]
        if share >= 0.75
        else static_html.THEME["accent"]
    )
    return (
        '<span style="display:inline-block;width:80px;height:8px;border-radius:4px;'
        f'background:{static_html.THEME["track"]};vertical-align:middle">'
        f'<span style="display:block;width:{share * 100:.0f}%;height:8px;border-radius:4px;'
        f'background:{colour}"></span></span>'
    )
