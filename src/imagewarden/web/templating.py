"""Jinja2 templates of the workspace: autoescaped, from the package, no business logic."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from imagewarden.render.labels import product_label
from imagewarden.web.auth import Caller
from imagewarden.web.navigation import nav_links


def _when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def _query(params: Mapping[str, Any], **changes: Any) -> str:
    """The query string of ``params`` with ``changes`` applied (empty values dropped)."""
    merged = {**params, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "", False)})


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The template environment (built once)."""
    env = Environment(
        loader=PackageLoader("imagewarden.web", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["product"] = product_label
    env.globals["query"] = _query
    env.globals["nav_links"] = nav_links
    return env


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    caller: Caller | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``template`` with the caller (for the menu and CSRF fields) and ``context``."""
    values = {
        "request": request,
        "caller": caller,
        "csrf_token": caller.csrf_token if caller is not None else "",
        "partial": request.headers.get("hx-request") == "true",
        **context,
    }
    body = environment().get_template(template).render(values)
    return HTMLResponse(body, status_code=status_code)
