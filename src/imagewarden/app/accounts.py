"""Accounts: people who sign in to the web workspace, their sessions and their API tokens.

Passwords are hashed with argon2id; session keys and API token secrets are random 256-bit
values of which only a SHA-256 is stored, so a copy of the database signs nobody in. There is
no default password: the first administrator is created by ``imagewarden user add`` (the
password read from standard input) or by ``demo --serve``, which prints a one-time password
once. Every change to an account is audited; a password is never logged or audited.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from imagewarden.app.permissions import Principal, Role, principal
from imagewarden.app.workspace import Workspace
from imagewarden.model import UserInputError
from imagewarden.store import accounts as records
from imagewarden.store.accounts import TokenRecord, UserRecord

if TYPE_CHECKING:
    from argon2 import PasswordHasher

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
LOCK_THRESHOLD = 5
"""Failed sign-ins in a row that lock an account."""
LOCK_FOR = dt.timedelta(minutes=15)
SESSION_LIFETIME = dt.timedelta(hours=8)
"""A session ends this long after sign-in, however active."""
SESSION_IDLE = dt.timedelta(minutes=30)
"""A session unused this long ends."""
_TOUCH_EVERY = dt.timedelta(minutes=1)
TOKEN_PREFIX = "iwt"


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher, Type

    return PasswordHasher(type=Type.ID)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to verify against when the account does not exist (same time either way)."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now(dt.UTC)


def _check_name(name: str) -> str:
    if not NAME.match(name):
        raise UserInputError(
            f"invalid user name {name[:60]!r}",
            hint="letters, digits, '.', '_', '@' or '-', at most 100 characters",
        )
    return name


def _role(role: str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise UserInputError(
            f"unknown role {role[:60]!r}", hint=f"one of: {', '.join(r.value for r in Role)}"
        ) from None


def _check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise UserInputError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise UserInputError(f"the password must have at most {MAX_PASSWORD} characters")
    return password


def _check_sites(workspace: Workspace, sites: Sequence[str]) -> tuple[str, ...]:
    known = {s.id for s in workspace.store.sites()}
    unknown = sorted(set(sites) - known)
    if unknown:
        raise UserInputError(
            f"unknown site {unknown[0][:60]!r}",
            hint=f"sites: {', '.join(sorted(known)) or 'none imported yet'}",
        )
    return tuple(sorted(set(sites)))


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher().hash(password)


def generate_password() -> str:
    """A random password for a one-time administrator login (about 120 bits)."""
    return secrets.token_urlsafe(15)


def add_user(
    workspace: Workspace,
    name: str,
    role: str,
    *,
    sites: Sequence[str] = (),
    password: str | None = None,
    now: dt.datetime | None = None,
) -> UserRecord:
    """Create an account (audited); without a password it can use only tokens or single
    sign-on. ``sites`` limits it to those sites (they must exist)."""
    hashed = hash_password(_check_password(password)) if password is not None else ""
    return records.add_user(
        workspace.store,
        workspace.actor,
        name=_check_name(name),
        role=_role(role).value,
        sites=_check_sites(workspace, sites),
        password_hash=hashed,
        now=_now(now),
    )


def list_users(workspace: Workspace) -> list[UserRecord]:
    """Every account, by name."""
    return records.users(workspace.store)


def set_disabled(
    workspace: Workspace, name: str, disabled: bool = True, *, now: dt.datetime | None = None
) -> UserRecord:
    """Disable (or enable again) an account; disabling ends its sessions (audited)."""
    return records.change_user(
        workspace.store, workspace.actor, name, now=_now(now), disabled=disabled
    )


def change_role(
    workspace: Workspace,
    name: str,
    *,
    role: str | None = None,
    sites: Sequence[str] | None = None,
    now: dt.datetime | None = None,
) -> UserRecord:
    """Change an account's role or site limits (audited)."""
    return records.change_user(
        workspace.store,
        workspace.actor,
        name,
        now=_now(now),
        role=_role(role).value if role is not None else None,
        sites=_check_sites(workspace, sites) if sites is not None else None,
    )


def set_password(
    workspace: Workspace, name: str, password: str, *, now: dt.datetime | None = None
) -> UserRecord:
    """Set an account's password; its sessions end (audited, without the password)."""
    hashed = hash_password(_check_password(password))
    return records.change_user(
        workspace.store, workspace.actor, name, now=_now(now), password_hash=hashed
    )


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new API token: ``token`` is shown once and never stored."""

    token: str
    record: TokenRecord


def issue_token(
    workspace: Workspace, name: str, *, label: str = "", now: dt.datetime | None = None
) -> IssuedToken:
    """A new API token for ``name`` (audited; only a hash of its secret is stored)."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    record = records.add_token(
        workspace.store,
        workspace.actor,
        user_name=name,
        token_id=token_id,
        secret_hash=_digest(secret),
        label=label[:200],
        now=_now(now),
    )
    return IssuedToken(f"{TOKEN_PREFIX}_{token_id}_{secret}", record)


def list_tokens(workspace: Workspace, name: str | None = None) -> list[TokenRecord]:
    """API tokens (never their secrets), newest first."""
    return records.tokens(workspace.store, name)


def revoke_token(workspace: Workspace, token_id: str) -> None:
    """Revoke an API token (audited)."""
    records.revoke_token(workspace.store, workspace.actor, token_id)


def token_principal(workspace: Workspace, token: str) -> Principal | None:
    """Who an ``Authorization: Bearer`` token speaks for, or None when it is not valid."""
    prefix, _, rest = token.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != TOKEN_PREFIX or not token_id or not secret:
        return None
    found = records.find_token(workspace.store, token_id)
    if found is None:
        return None
    stored, account = found
    if not hmac.compare_digest(stored, _digest(secret)):
        return None
    return principal(account.name, account.role, account.sites)


class LoginRefusal(StrEnum):
    """Why a sign-in was refused (the person is told only 'invalid name or password' or
    'locked', so the form does not reveal which accounts exist)."""

    INVALID = "invalid"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: ``key`` goes into the browser's cookie and is never stored."""

    principal: Principal
    key: str
    csrf_token: str
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Refused:
    """A refused sign-in."""

    reason: LoginRefusal
    locked_until: dt.datetime | None = None


def sign_in(
    workspace: Workspace, name: str, password: str, *, now: dt.datetime | None = None
) -> SignedIn | Refused:
    """Check a name and password and start a session; failures count towards a lockout."""
    now = _now(now)
    account = records.user(workspace.store, name) if NAME.match(name) else None
    stored = records.password_hash(workspace.store, name) if account is not None else None
    if account is not None and account.locked_at(now):
        return Refused(LoginRefusal.LOCKED, account.locked_until)
    valid = _verify(stored or _decoy_hash(), password[:MAX_PASSWORD])
    if account is None or not stored or not valid or account.disabled:
        if account is not None and not account.disabled:
            failed = records.record_failed_login(
                workspace.store, name, now=now, threshold=LOCK_THRESHOLD, lock_for=LOCK_FOR
            )
            if failed.locked_until is not None:
                return Refused(LoginRefusal.LOCKED, failed.locked_until)
        return Refused(LoginRefusal.INVALID)
    return start_session(workspace, account, now=now, method="password")


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """A person as the hospital's identity provider vouches for them (single sign-on)."""

    name: str
    role: Role
    sites: tuple[str, ...] = ()
    """The sites they are limited to (none: every site)."""
    issuer: str = "sso"
    """Who vouched (the provider's host), recorded as the actor of account changes."""


def sign_in_external(
    workspace: Workspace, identity: ExternalIdentity, *, now: dt.datetime | None = None
) -> SignedIn:
    """Start a session for a person the identity provider vouched for.

    The first sign-in creates their account (without a password: single sign-on or tokens
    only); later ones bring its role and sites in line with the provider's claims (audited).
    A local account of the same name (one with a password) is never taken over, and a
    disabled account stays disabled.
    """
    now = _now(now)
    name = _check_name(identity.name)
    sites = list(identity.sites)
    vouched = dataclasses.replace(workspace, actor=f"sso:{identity.issuer}"[:100])
    existing = records.user(workspace.store, name)
    if existing is None:
        add_user(vouched, name, identity.role.value, sites=sites, now=now)
    else:
        if existing.has_password:
            raise UserInputError(
                f"a local account named {name[:60]!r} exists; single sign-on does not take it over",
                hint="an administrator can rename or remove the local account",
            )
        if existing.disabled:
            raise UserInputError(f"the account {name[:60]!r} is disabled")
        if existing.role != identity.role.value or tuple(existing.sites) != tuple(sorted(sites)):
            change_role(vouched, name, role=identity.role.value, sites=sites, now=now)
    account = records.user(workspace.store, name)
    assert account is not None
    return start_session(workspace, account, now=now, method="oidc")


def _verify(hashed: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return _hasher().verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def start_session(
    workspace: Workspace, account: UserRecord, *, now: dt.datetime, method: str
) -> SignedIn:
    """Start a session for an account already authenticated (password or single sign-on)."""
    key = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = now + SESSION_LIFETIME
    records.start_session(
        workspace.store,
        account.name,
        key_hash=_digest(key),
        csrf_token=csrf,
        now=now,
        expires_at=expires,
        method=method,
    )
    return SignedIn(principal(account.name, account.role, account.sites), key, csrf, expires)


@dataclass(frozen=True, slots=True)
class LiveSession:
    """A browser's session, as each request finds it."""

    principal: Principal
    csrf_token: str
    expires_at: dt.datetime


def find_session(
    workspace: Workspace, key: str, *, now: dt.datetime | None = None
) -> LiveSession | None:
    """The session behind a cookie's key, or None (unknown, expired, idle, or disabled)."""
    now = _now(now)
    if not key or len(key) > 200:
        return None
    key_hash = _digest(key)
    found = records.find_session(workspace.store, key_hash, now)
    if found is None or found.last_seen_at + SESSION_IDLE <= now:
        return None
    if now - found.last_seen_at >= _TOUCH_EVERY:
        records.touch_session(workspace.store, key_hash, now)
    account = found.user
    return LiveSession(
        principal(account.name, account.role, account.sites), found.csrf_token, found.expires_at
    )


def sign_out(workspace: Workspace, key: str) -> None:
    """End the session behind a cookie's key (audited)."""
    records.end_session(workspace.store, _digest(key), actor=workspace.actor)


def account(workspace: Workspace, name: str) -> UserRecord | None:
    """The account called ``name``, if any."""
    return records.user(workspace.store, name)


@dataclass(frozen=True, slots=True)
class OneTimeAdmin:
    """An administrator created with a random password, to be shown once and never again."""

    name: str
    password: str


def add_one_time_admin(workspace: Workspace, name: str = "admin") -> OneTimeAdmin:
    """Create an administrator with a random password (``demo --serve``); audited as any
    account. There is no default password: this one exists only in the returned value."""
    password = generate_password()
    add_user(workspace, name, Role.ADMIN.value, password=password)
    return OneTimeAdmin(name, password)
