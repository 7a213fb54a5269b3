"""Accounts, for administrators: list, add, change role and sites, disable, enable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from imagewarden.app import accounts
from imagewarden.app.dashboard import sites as all_sites
from imagewarden.app.permissions import Action, Role
from imagewarden.model import UserInputError
from imagewarden.web.auth import Caller, requires
from imagewarden.web.templating import render

router = APIRouter(include_in_schema=False)
Admin = Annotated[Caller, Depends(requires(Action.USERS_MANAGE))]


def _page(request: Request, caller: Caller, error: str = "", status: int = 200) -> HTMLResponse:
    context = {
        "users": accounts.list_users(caller.workspace),
        "roles": list(Role),
        "sites": all_sites(caller.workspace),
        "error": error,
    }
    return render(request, "users.html", context, caller=caller, status_code=status)


@router.get("/users")
def users_page(request: Request, caller: Admin) -> HTMLResponse:
    """Every account with its role, sites and state."""
    return _page(request, caller)


@router.post("/users")
def add_user(
    request: Request,
    caller: Admin,
    name: Annotated[str, Form(max_length=100)],
    role: Annotated[Role, Form()],
    password: Annotated[str, Form(max_length=1024)],
    sites: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Create an account with a password."""
    try:
        accounts.add_user(caller.workspace, name, role.value, sites=sites or (), password=password)
    except UserInputError as error:
        return _page(request, caller, str(error), 400)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/role")
def change_role(
    name: str,
    caller: Admin,
    role: Annotated[Role, Form()],
    sites: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Change an account's role and sites."""
    accounts.change_role(caller.workspace, name, role=role.value, sites=sites or ())
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/disable")
def disable(name: str, caller: Admin) -> Response:
    """Disable an account (its sessions end)."""
    if name == caller.principal.name:
        raise UserInputError("you cannot disable your own account")
    accounts.set_disabled(caller.workspace, name, True)
    return RedirectResponse("/users", status_code=303)


@router.post("/users/{name}/enable")
def enable(name: str, caller: Admin) -> Response:
    """Enable a disabled account."""
    accounts.set_disabled(caller.workspace, name, False)
    return RedirectResponse("/users", status_code=303)
