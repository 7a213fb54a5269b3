"""The application factory: routes per area, security headers, errors, deny by default.

``create_app(open_workspace)`` builds the FastAPI application. The workspace is opened once
when the server starts (``open_workspace`` is called then, and its store closed at shutdown);
each request acts through a copy whose ``actor`` is the signed-in person, so everything it
changes is audited under their name.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount

from imagewarden import __version__
from imagewarden.app.permissions import Action
from imagewarden.app.workspace import Workspace
from imagewarden.model import InfrastructureError, UserInputError
from imagewarden.web.auth import (
    CsrfFailure,
    Forbidden,
    NotSignedIn,
    Unauthenticated,
    declared_action,
)
from imagewarden.web.oidc import OidcSettings, Provider
from imagewarden.web.routes.api import NotFound
from imagewarden.web.security import LoginLimiter, SecurityHeaders
from imagewarden.web.templating import render

log = logging.getLogger(__name__)
STATIC = Path(__file__).parent / "static"
API_PREFIX = "/api/v1"


@dataclass(frozen=True, slots=True)
class WebSettings:
    """How the workspace behaves; the defaults suit a hospital deployment."""

    login_attempts: int = 10
    """Sign-in attempts per client address in ``login_window`` seconds."""
    login_window: float = 300.0
    enterprise: str = ""
    """The organisation's name on reports."""
    oidc: OidcSettings | None = None
    """Single sign-on through the hospital's identity provider (None: local accounts only)."""


class UndeclaredRoute(RuntimeError):
    """A route declares no permission: the application refuses to start (deny by default)."""


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error(request: Request, status: int, message: str) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status)
    caller = None
    return render(
        request, "error.html", {"status": status, "message": message}, caller=caller,
        status_code=status,
    )  # fmt: skip


def _install_errors(app: FastAPI) -> None:
    async def not_signed_in(request: Request, _exc: Exception) -> Response:
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        target = request.url.path if request.method == "GET" else "/"
        return RedirectResponse(f"/login?next={target}", status_code=303)

    async def unauthenticated(_request: Request, _exc: Exception) -> Response:
        return JSONResponse(
            {"detail": "a valid API token is required (Authorization: Bearer TOKEN)"},
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def not_found(request: Request, _exc: Exception) -> Response:
        return _error(request, 404, "not found")

    async def forbidden(request: Request, exc: Exception) -> Response:
        return _error(request, 403, str(exc))

    async def csrf(request: Request, _exc: Exception) -> Response:
        return _error(request, 403, "the form expired or did not come from this workspace")

    async def user_input(request: Request, exc: Exception) -> Response:
        return _error(request, 400, str(exc))

    async def infrastructure(request: Request, exc: Exception) -> Response:
        log.warning("request failed: %s", exc)
        return _error(request, 503, str(exc))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return _error(request, exc.status_code, str(exc.detail))

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if _is_api(request):
            return JSONResponse({"detail": _plain(exc.errors())}, status_code=422)
        return _error(request, 400, "invalid request: " + _summary(exc.errors()))

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(Unauthenticated, unauthenticated)
    app.add_exception_handler(Forbidden, forbidden)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(CsrfFailure, csrf)
    app.add_exception_handler(UserInputError, user_input)
    app.add_exception_handler(InfrastructureError, infrastructure)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)


def _plain(errors: Any) -> list[dict[str, Any]]:
    """Validation errors without the offending input (it may be long or personal)."""
    return [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))[:200]}
        for e in errors
    ]


def _summary(errors: Any) -> str:
    parts = [
        f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'input'}: {e.get('msg', '')}"
        for e in list(errors)[:3]
    ]
    return "; ".join(parts)[:300]


def route_actions(app: FastAPI) -> dict[tuple[str, str], Action | None]:
    """(method, path) -> the action each route declares (None: public).

    Raises ``UndeclaredRoute`` for a route that declares nothing, or more than one action.
    """
    found: dict[tuple[str, str], Action | None] = {}
    for route in _flat(app.routes):
        if isinstance(route, Mount) and route.path == "/static":
            continue
        if not isinstance(route, APIRoute):
            raise UndeclaredRoute(f"{getattr(route, 'path', route)!r} is not a declared route")
        declarations = [
            declared_action(d.call)
            for d in _dependencies(route.dependant)
            if declared_action(d.call)[0]
        ]
        if len(declarations) != 1:
            raise UndeclaredRoute(
                f"{sorted(route.methods or ())} {route.path} declares {len(declarations)} "
                "permissions; it must declare exactly one (requires, api_requires or public)"
            )
        for method in route.methods or ():
            found[(method, route.path)] = declarations[0][1]
    return found


def _flat(routes: Any) -> list[Any]:
    """Routes, with those of included routers (newer FastAPI keeps routers nested)."""
    found = []
    for route in routes:
        router = getattr(route, "original_router", None)
        if router is not None:
            found.extend(_flat(router.routes))
        else:
            found.append(route)
    return found


def _dependencies(dependant: Any) -> list[Any]:
    found = []
    for child in dependant.dependencies:
        found.append(child)
        found.extend(_dependencies(child))
    return found


def create_app(
    open_workspace: Callable[[], Workspace], settings: WebSettings | None = None
) -> FastAPI:
    """The workspace application; ``open_workspace`` is called once at start-up."""
    from imagewarden.web.routes import ROUTERS

    settings = settings or WebSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        workspace = open_workspace()
        app.state.workspace = workspace
        try:
            yield
        finally:
            workspace.close()

    app = FastAPI(
        title="ImageWarden",
        version=__version__,
        description="The JSON API of the ImageWarden workspace: findings, assets, inventory "
        "uploads and the audit log, for a SIEM, a ticketing system or a script. "
        "Authenticate with an API token (`imagewarden user token NAME`) as "
        "`Authorization: Bearer TOKEN`.",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.login_limiter = LoginLimiter(settings.login_attempts, settings.login_window)
    app.state.oidc = Provider(settings.oidc) if settings.oidc is not None else None
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _install_errors(app)
    app.add_middleware(SecurityHeaders)
    route_actions(app)  # refuses to build an application with an undeclared route
    return app
