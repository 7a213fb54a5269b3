"""Who is asking, and may they: the dependencies every route declares.

Pages use a session cookie; a state-changing page request must also carry the session's CSRF
token (form field ``csrf_token`` or header ``X-CSRF-Token``). The JSON API uses API tokens
(``Authorization: Bearer``) and no cookies, so it needs no CSRF token. Each route declares
exactly one ``Action`` through ``requires`` (pages) or ``api_requires`` (API), or declares
itself ``public``; ``app.create_app`` refuses to build an application with a route that
declares neither (deny by default).
"""

from __future__ import annotations

import dataclasses
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from imagewarden.app import accounts
from imagewarden.app.permissions import Action, Principal
from imagewarden.app.workspace import Workspace

SESSION_COOKIE = "iw_session"
LOGIN_CSRF_COOKIE = "iw_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


_BEARER = HTTPBearer(auto_error=False, description="An API token: imagewarden user token NAME")


class NotSignedIn(Exception):
    """A page request without a live session: the person is sent to the sign-in page."""


class Unauthenticated(Exception):
    """An API request without a valid token: 401."""


class Forbidden(Exception):
    """The person is signed in but may not do this (role or site scope): 403."""

    def __init__(self, action: Action, site_id: str | None = None) -> None:
        self.action = action
        self.site_id = site_id
        where = f" on site {site_id}" if site_id else ""
        super().__init__(f"your role may not do {action.value}{where}")


class CsrfFailure(Exception):
    """A state-changing request without the session's CSRF token: 403."""


@dataclass(frozen=True, slots=True)
class Caller:
    """The person behind a request, the workspace acting as them, and their CSRF token."""

    principal: Principal
    workspace: Workspace
    csrf_token: str
    """Empty for API requests (tokens, no cookies)."""
    action: Action

    def require(self, action: Action, site_id: str | None = None) -> None:
        """Raise ``Forbidden`` unless the person may do ``action`` (on ``site_id``)."""
        if not self.principal.may(action, site_id):
            raise Forbidden(action, site_id)

    def require_site(self, site_id: str) -> None:
        """Raise ``Forbidden`` unless the route's action is allowed on ``site_id``.

        Reading is allowed on enterprise-wide records too; acting needs the site itself.
        """
        if self.action.value.endswith(".view"):
            if not self.principal.may_see_site(site_id):
                raise Forbidden(self.action, site_id)
            return
        self.require(self.action, site_id)

    @property
    def sites(self) -> frozenset[str] | None:
        """The sites this person reads (None: every site)."""
        return self.principal.visible_sites

    def may(self, action: str) -> bool:
        """For templates: whether to show the link or button of ``action``."""
        return self.principal.may(Action(action))


def _workspace_for(request: Request, principal: Principal) -> Workspace:
    base: Workspace = request.app.state.workspace
    return dataclasses.replace(base, actor=principal.name)


async def _check_csrf(request: Request, expected: str) -> None:
    given = request.headers.get(CSRF_HEADER, "")
    if not given:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            given = value if isinstance(value, str) else ""
    if not given or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CsrfFailure()


def _mark(dependency: Callable[..., Any], action: Action | None) -> Callable[..., Any]:
    dependency._iw_action = action  # type: ignore[attr-defined]
    dependency._iw_declared = True  # type: ignore[attr-defined]
    return dependency


def requires(action: Action) -> Callable[[Request], Awaitable[Caller]]:
    """A page route's dependency: a live session whose role may do ``action``."""

    async def dependency(request: Request) -> Caller:
        key = request.cookies.get(SESSION_COOKIE, "")
        base: Workspace = request.app.state.workspace
        live = await run_in_threadpool(accounts.find_session, base, key) if key else None
        if live is None:
            raise NotSignedIn()
        request.state.principal = live.principal
        if request.method in UNSAFE_METHODS:
            await _check_csrf(request, live.csrf_token)
        if not live.principal.may(action):
            raise Forbidden(action)
        workspace = _workspace_for(request, live.principal)
        return Caller(live.principal, workspace, live.csrf_token, action)

    return _mark(dependency, action)


def api_requires(action: Action) -> Callable[[Request], Awaitable[Caller]]:
    """An API route's dependency: a valid bearer token whose account may do ``action``."""

    async def dependency(
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Depends(_BEARER),
    ) -> Caller:
        token = credentials.credentials.strip() if credentials is not None else ""
        if not token or len(token) > 200:
            raise Unauthenticated()
        base: Workspace = request.app.state.workspace
        who = await run_in_threadpool(accounts.token_principal, base, token)
        if who is None:
            raise Unauthenticated()
        request.state.principal = who
        if not who.may(action):
            raise Forbidden(action)
        return Caller(who, _workspace_for(request, who), "", action)

    return _mark(dependency, action)


def public() -> Callable[[], None]:
    """The dependency of a route anyone may use (sign-in page, static files, health)."""

    def dependency() -> None:
        return None

    return _mark(dependency, None)


def declared_action(dependency: Any) -> tuple[bool, Action | None]:
    """(declared, action) of a dependency made by ``requires``/``api_requires``/``public``."""
    return bool(getattr(dependency, "_iw_declared", False)), getattr(dependency, "_iw_action", None)
