"""Signing in and out, one's own account, and the health check."""

from __future__ import annotations

import logging
import secrets
from typing import Annotated
from urllib.parse import quote, unquote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from imagewarden.app import accounts
from imagewarden.app.permissions import Action
from imagewarden.model import InfrastructureError, UserInputError
from imagewarden.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    public,
    requires,
)
from imagewarden.web.oidc import Provider, SignInRefused
from imagewarden.web.security import client_address
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


def _local(target: str) -> str:
    """Only a path on this site may be a redirect target (no open redirect)."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _login_page(
    request: Request, next_page: str, message: str = "", status_code: int = 200
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "login_csrf": token,
            "next": _local(next_page),
            "message": message,
            "sso": request.app.state.oidc is not None,
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=_secure(request),
        path="/login", max_age=3600,
    )  # fmt: skip
    return response


@router.get("/login", dependencies=[Depends(public())])
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return _login_page(request, next)


@router.post("/login", dependencies=[Depends(public())])
async def login(
    request: Request,
    name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the name and password; start a session (rate-limited, locks out on failures)."""
    limiter = request.app.state.login_limiter
    if not limiter.allow(client_address(request)):
        return _login_page(request, next, "Too many sign-in attempts; wait a few minutes.", 429)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        return _login_page(request, next, "The form expired; please sign in again.", 403)
    workspace = request.app.state.workspace
    outcome = await run_in_threadpool(accounts.sign_in, workspace, name.strip(), password)
    if isinstance(outcome, accounts.Refused):
        if outcome.reason is accounts.LoginRefusal.LOCKED:
            message = "This account is locked after too many failed attempts; try again later."
        else:
            message = "Invalid name or password."
        return _login_page(request, next, message, 401)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, outcome.key, httponly=True, samesite="lax", secure=_secure(request),
        path="/", max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


SSO_COOKIE = "iw_sso"
SSO_PATH = "/login/sso"


def _redirect_uri(request: Request, provider: Provider) -> str:
    base = provider.settings.public_url or str(request.base_url).rstrip("/")
    return base + SSO_PATH + "/callback"


@router.get(SSO_PATH, dependencies=[Depends(public())])
async def sso_start(request: Request, next: str = "/") -> Response:
    """Send the browser to the identity provider (authorization code flow with PKCE)."""
    provider: Provider | None = request.app.state.oidc
    if provider is None:
        return _login_page(request, next, "Single sign-on is not configured here.", 404)
    try:
        auth = await run_in_threadpool(provider.authorization, _redirect_uri(request, provider))
    except InfrastructureError as exc:
        log.warning("single sign-on: %s", exc)
        return _login_page(request, next, "The identity provider cannot be reached.", 503)
    response = RedirectResponse(auth.url, status_code=303)
    remembered = "|".join((auth.state, auth.nonce, auth.verifier, quote(_local(next), safe="")))
    # SameSite=Lax: the provider sends the browser back with a top-level GET.
    response.set_cookie(
        SSO_COOKIE, remembered, httponly=True, samesite="lax", secure=_secure(request),
        path=SSO_PATH, max_age=600,
    )  # fmt: skip
    return response


@router.get(SSO_PATH + "/callback", dependencies=[Depends(public())])
async def sso_callback(
    request: Request,
    code: Annotated[str, Query(max_length=2000)] = "",
    state: Annotated[str, Query(max_length=200)] = "",
    error: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """The provider's answer: check the state, exchange the code, verify the ID token, and
    start a session with the role the person's groups give."""
    provider: Provider | None = request.app.state.oidc
    if provider is None:
        return _login_page(request, "/", "Single sign-on is not configured here.", 404)
    limiter = request.app.state.login_limiter
    if not limiter.allow(client_address(request)):
        return _login_page(request, "/", "Too many sign-in attempts; wait a few minutes.", 429)
    parts = request.cookies.get(SSO_COOKIE, "").split("|")
    if len(parts) != 4 or not state or not secrets.compare_digest(parts[0], state):
        return _login_page(request, "/", "The sign-in expired or did not start here.", 403)
    _, nonce, verifier, next_page = parts
    if error or not code:
        return _login_page(request, "/", "The identity provider did not sign you in.", 401)
    workspace = request.app.state.workspace
    try:
        identity = await run_in_threadpool(
            provider.identity, code, redirect_uri=_redirect_uri(request, provider),
            nonce=nonce, verifier=verifier,
        )  # fmt: skip
        outcome = await run_in_threadpool(accounts.sign_in_external, workspace, identity)
    except InfrastructureError as exc:
        log.warning("single sign-on: %s", exc)
        return _login_page(request, "/", "The identity provider cannot be reached.", 503)
    except (SignInRefused, UserInputError) as exc:
        log.warning("single sign-on refused: %s", exc)
        return _login_page(request, "/", f"Single sign-on refused: {exc}", 403)
    response = RedirectResponse(_local(unquote(next_page)), status_code=303)
    response.set_cookie(
        SESSION_COOKIE, outcome.key, httponly=True, samesite="lax", secure=_secure(request),
        path="/", max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
    )  # fmt: skip
    response.delete_cookie(SSO_COOKIE, path=SSO_PATH)
    return response


@router.post("/logout")
def logout(
    request: Request, caller: Annotated[Caller, Depends(requires(Action.ACCOUNT_VIEW))]
) -> Response:
    """End this session."""
    accounts.sign_out(caller.workspace, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(request), httponly=True)
    return response


@router.get("/account")
def account(
    request: Request, caller: Annotated[Caller, Depends(requires(Action.ACCOUNT_VIEW))]
) -> HTMLResponse:
    """One's own account: name, role, sites, and what the role may do."""
    record = accounts.account(caller.workspace, caller.principal.name)
    return render(request, "account.html", {"account": record}, caller=caller)


@router.get("/healthz", dependencies=[Depends(public())])
def health() -> PlainTextResponse:
    """For the reverse proxy's health check: says nothing about the data."""
    return PlainTextResponse("ok")
