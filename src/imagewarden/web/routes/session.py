"""Signing in and out, one's own account, and the health check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from imagewarden.app import accounts
from imagewarden.app.permissions import Action
from imagewarden.web.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Caller,
    public,
    requires,
)
from imagewarden.web.security import client_address
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)


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
        {"login_csrf": token, "next": _local(next_page), "message": message},
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
