"""Accounts of the web workspace: people, their roles and sites, sessions and API tokens.

Only hashes are stored: an argon2id hash of each password (made by ``app.accounts``), and a
SHA-256 of each session key and API token secret (random 256-bit values, so a fast hash is
enough). Every change to an account is audited (``Store.changing``); a password or a hash never
appears in an audit entry. Signing in resets the failed-login counter; too many failures lock
the account for a while, and the lock is audited.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from imagewarden.model import UserInputError
from imagewarden.store.audit import Change, append
from imagewarden.store.codec import utc
from imagewarden.store.schema import Base

if TYPE_CHECKING:
    from imagewarden.store.repository import Store


class UserRow(Base):
    """One person who may sign in to the web workspace."""

    __tablename__ = "users"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(40))
    sites: Mapped[str] = mapped_column(Text, default="[]")
    """JSON list of site ids the person may see and act on; empty: every site."""
    password_hash: Mapped[str] = mapped_column(Text, default="")
    """argon2id hash, or empty (no password: single sign-on or tokens only)."""
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SessionRow(Base):
    """A signed-in browser: the hash of its session key, its CSRF token and its expiry."""

    __tablename__ = "web_sessions"

    key_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    """An API token: its public id, the hash of its secret, whose it is."""

    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_name: Mapped[str] = mapped_column(ForeignKey("users.name", ondelete="CASCADE"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


@dataclass(frozen=True, slots=True)
class UserRecord:
    """An account as stored (without its password hash)."""

    name: str
    role: str
    sites: tuple[str, ...]
    """Site ids the person is limited to; empty: every site."""
    disabled: bool
    has_password: bool
    failed_logins: int
    locked_until: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    def locked_at(self, now: dt.datetime) -> bool:
        """Whether the account is locked out at ``now`` after too many failed sign-ins."""
        return self.locked_until is not None and self.locked_until > now


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A live session and the account behind it."""

    user: UserRecord
    csrf_token: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token as stored (without its secret)."""

    id: str
    user_name: str
    label: str
    created_at: dt.datetime
    revoked: bool


@dataclass(frozen=True, slots=True)
class FailedLogin:
    """What one failed sign-in did to the account."""

    failures: int
    locked_until: dt.datetime | None
    """Set when this failure locked the account."""


def _user(row: UserRow) -> UserRecord:
    return UserRecord(
        name=row.name,
        role=row.role,
        sites=tuple(json.loads(row.sites or "[]")),
        disabled=row.disabled,
        has_password=bool(row.password_hash),
        failed_logins=row.failed_logins,
        locked_until=utc(row.locked_until) if row.locked_until else None,
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


def _public(row: UserRow) -> dict[str, Any]:
    """An account as the audit log records it: never a password or its hash."""
    return {
        "role": row.role,
        "sites": json.loads(row.sites or "[]"),
        "disabled": row.disabled,
        "has_password": bool(row.password_hash),
    }


def _no_user(name: str) -> UserInputError:
    return UserInputError(f"no user named {name!r}", hint="see 'imagewarden user list'")


def add_user(
    store: Store,
    actor: str,
    *,
    name: str,
    role: str,
    sites: tuple[str, ...],
    password_hash: str,
    now: dt.datetime,
) -> UserRecord:
    """Create an account (audited as ``user.add``); an existing name is a user error."""
    with store.changing(actor, "user.add", f"user {name}") as change:
        if change.session.get(UserRow, name) is not None:
            raise UserInputError(f"a user named {name!r} exists already")
        row = UserRow(
            name=name,
            role=role,
            sites=json.dumps(sorted(sites)),
            password_hash=password_hash,
            disabled=False,
            failed_logins=0,
            locked_until=None,
            created_at=now,
            updated_at=now,
        )
        change.session.add(row)
        change.session.flush()
        change.after = _public(row)
        return _user(row)


def change_user(
    store: Store,
    actor: str,
    name: str,
    *,
    now: dt.datetime,
    role: str | None = None,
    sites: tuple[str, ...] | None = None,
    disabled: bool | None = None,
    password_hash: str | None = None,
) -> UserRecord:
    """Change an account's role, sites, state or password (one audited ``user.change``).

    Disabling an account or changing its password ends its sessions and revokes nothing else;
    its API tokens stop working while it is disabled.
    """
    with store.changing(actor, "user.change", f"user {name}") as change:
        session = change.session
        row = session.get(UserRow, name)
        if row is None:
            raise _no_user(name)
        change.before = _public(row)
        if role is not None:
            row.role = role
        if sites is not None:
            row.sites = json.dumps(sorted(sites))
        if disabled is not None:
            row.disabled = disabled
        if password_hash is not None:
            row.password_hash = password_hash
            row.failed_logins = 0
            row.locked_until = None
        row.updated_at = now
        if disabled or password_hash is not None:
            session.execute(delete(SessionRow).where(SessionRow.user_name == name))
        session.flush()
        change.after = _public(row) | ({"password": "changed"} if password_hash is not None else {})
        return _user(row)


def users(store: Store) -> list[UserRecord]:
    """Every account, by name."""
    with store.reading() as session:
        return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.name))]


def user(store: Store, name: str) -> UserRecord | None:
    """The account called ``name``, if any."""
    with store.reading() as session:
        row = session.get(UserRow, name)
        return _user(row) if row is not None else None


def password_hash(store: Store, name: str) -> str | None:
    """The stored password hash of ``name`` (None: no such account)."""
    with store.reading() as session:
        row = session.get(UserRow, name)
        return row.password_hash if row is not None else None


def record_failed_login(
    store: Store,
    name: str,
    *,
    now: dt.datetime,
    threshold: int,
    lock_for: dt.timedelta,
) -> FailedLogin:
    """Count a failed sign-in; the ``threshold``-th in a row locks the account (audited)."""
    with store.writing() as session:
        row = session.get(UserRow, name)
        if row is None:
            return FailedLogin(0, None)
        row.failed_logins += 1
        if row.failed_logins < threshold:
            return FailedLogin(row.failed_logins, None)
        until = now + lock_for
        row.locked_until = until
        row.failed_logins = 0
        append(
            Change(
                session,
                "system",
                "user.locked",
                f"user {name}",
                after={"locked_until": until.isoformat(), "failed_logins": threshold},
                at=now,
            )
        )
        return FailedLogin(threshold, until)


def start_session(
    store: Store,
    name: str,
    *,
    key_hash: str,
    csrf_token: str,
    now: dt.datetime,
    expires_at: dt.datetime,
    method: str,
) -> None:
    """Record a sign-in (audited ``session.login``): a new session, failures forgotten."""
    with store.changing(name, "session.login", f"user {name}") as change:
        row = change.session.get(UserRow, name)
        if row is None:
            raise _no_user(name)
        row.failed_logins = 0
        row.locked_until = None
        change.session.add(
            SessionRow(
                key_hash=key_hash,
                user_name=name,
                csrf_token=csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )
        change.after = {"method": method, "expires_at": expires_at.isoformat()}
        change.at = now


def find_session(store: Store, key_hash: str, now: dt.datetime) -> SessionRecord | None:
    """The live session with this key hash and its enabled account, or None."""
    query = (
        select(SessionRow, UserRow)
        .join(UserRow, UserRow.name == SessionRow.user_name)
        .where(SessionRow.key_hash == key_hash)
    )
    with store.reading() as session:
        found = session.execute(query).first()
        if found is None:
            return None
        row, account = found
        if account.disabled or utc(row.expires_at) <= now:
            return None
        return SessionRecord(
            user=_user(account),
            csrf_token=row.csrf_token,
            created_at=utc(row.created_at),
            last_seen_at=utc(row.last_seen_at),
            expires_at=utc(row.expires_at),
        )


def touch_session(store: Store, key_hash: str, now: dt.datetime) -> None:
    """Note that a session was used (its idle timeout starts again)."""
    with store.writing() as session:
        session.execute(
            update(SessionRow).where(SessionRow.key_hash == key_hash).values(last_seen_at=now)
        )


def end_session(store: Store, key_hash: str, *, actor: str) -> None:
    """Sign a session out (audited ``session.logout``); an unknown key changes nothing."""
    with store.changing(actor, "session.logout", f"user {actor}") as change:
        change.session.execute(delete(SessionRow).where(SessionRow.key_hash == key_hash))


def purge_sessions(store: Store, now: dt.datetime) -> int:
    """Delete expired sessions; returns how many."""
    with store.writing() as session:
        result = session.execute(delete(SessionRow).where(SessionRow.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)


def add_token(
    store: Store,
    actor: str,
    *,
    user_name: str,
    token_id: str,
    secret_hash: str,
    label: str,
    now: dt.datetime,
) -> TokenRecord:
    """Store a new API token's hash for ``user_name`` (audited ``token.add``)."""
    with store.changing(actor, "token.add", f"user {user_name}") as change:
        if change.session.get(UserRow, user_name) is None:
            raise _no_user(user_name)
        row = TokenRow(
            id=token_id,
            user_name=user_name,
            secret_hash=secret_hash,
            label=label,
            created_at=now,
            revoked=False,
        )
        change.session.add(row)
        change.after = {"token": token_id, "label": label}
        return TokenRecord(token_id, user_name, label, now, False)


def tokens(store: Store, user_name: str | None = None) -> list[TokenRecord]:
    """API tokens (never their secrets), newest first."""
    query = select(TokenRow).order_by(TokenRow.created_at.desc(), TokenRow.id)
    if user_name is not None:
        query = query.where(TokenRow.user_name == user_name)
    with store.reading() as session:
        return [
            TokenRecord(r.id, r.user_name, r.label, utc(r.created_at), r.revoked)
            for r in session.scalars(query)
        ]


def revoke_token(store: Store, actor: str, token_id: str) -> None:
    """Revoke an API token (audited ``token.revoke``)."""
    with store.changing(actor, "token.revoke", f"token {token_id}") as change:
        row = change.session.get(TokenRow, token_id)
        if row is None:
            raise UserInputError(f"no API token {token_id!r}")
        row.revoked = True
        change.after = {"user": row.user_name}


def find_token(store: Store, token_id: str) -> tuple[str, UserRecord] | None:
    """(secret hash, account) of a live token of an enabled account, or None."""
    query = (
        select(TokenRow.secret_hash, UserRow)
        .join(UserRow, UserRow.name == TokenRow.user_name)
        .where(TokenRow.id == token_id, TokenRow.revoked.is_(False))
    )
    with store.reading() as session:
        found = session.execute(query).first()
        if found is None or found[1].disabled:
            return None
        return found[0], _user(found[1])
