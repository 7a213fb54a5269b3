"""Single sign-on with OpenID Connect: the hospital's identity provider signs people in, and
a claim (their groups) gives them their ImageWarden role.

The authorization code flow with PKCE (S256), a ``state`` bound to the browser by a cookie,
and a ``nonce`` checked in the ID token, whose signature (the provider's published keys),
issuer, audience and expiry are verified. Nothing the provider sends is logged: refusals say
why in a few words.

Configured from the environment, so that the client secret never appears on a command line:

``IMAGEWARDEN_OIDC_ISSUER``          the provider's issuer URL (https; http only on loopback)
``IMAGEWARDEN_OIDC_CLIENT_ID``       this workspace's client id at the provider
``IMAGEWARDEN_OIDC_CLIENT_SECRET``   its secret (or ``..._SECRET_FILE``: a file holding it)
``IMAGEWARDEN_OIDC_ROLES``           ``group=role`` pairs, comma-separated
``IMAGEWARDEN_OIDC_ROLE_CLAIM``      the claim listing a person's groups (default ``groups``)
``IMAGEWARDEN_OIDC_NAME_CLAIM``      the claim naming them (default ``preferred_username``)
``IMAGEWARDEN_OIDC_SITES_CLAIM``     optional: a claim listing the sites they are limited to
``IMAGEWARDEN_OIDC_PUBLIC_URL``      optional: the workspace's external URL (behind a proxy)
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import secrets
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from imagewarden.app.accounts import ExternalIdentity
from imagewarden.app.permissions import Role
from imagewarden.model import InfrastructureError, UserInputError

ENV = "IMAGEWARDEN_OIDC_"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
"""Signature algorithms accepted on ID tokens (never ``none``, never a shared secret)."""
METADATA_TTL = 3600.0
TIMEOUT = 10.0
LEEWAY = 60
"""Seconds of clock difference tolerated on expiry and issue times."""


class SignInRefused(Exception):
    """The provider's answer cannot sign anyone in; the message says why, for the person."""


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """Where the identity provider is, who this workspace is to it, and how claims map."""

    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    roles: Mapping[str, Role]
    """Group (a value of the role claim) -> role."""
    role_claim: str = "groups"
    name_claim: str = "preferred_username"
    sites_claim: str = ""
    public_url: str = ""

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> OidcSettings | None:
        """The settings in the environment; None when single sign-on is not configured."""
        env = os.environ if env is None else env
        issuer = env.get(ENV + "ISSUER", "").strip().rstrip("/")
        if not issuer:
            return None
        _check_url(issuer, ENV + "ISSUER")
        client_id = env.get(ENV + "CLIENT_ID", "").strip()
        if not client_id:
            raise UserInputError(f"{ENV}CLIENT_ID is required with {ENV}ISSUER")
        secret = env.get(ENV + "CLIENT_SECRET", "")
        secret_file = env.get(ENV + "CLIENT_SECRET_FILE", "")
        if secret_file:
            try:
                with Path(secret_file).open(encoding="utf-8") as stream:
                    secret = stream.read(4096).strip()
            except OSError as exc:
                raise UserInputError(
                    f"{ENV}CLIENT_SECRET_FILE: cannot read it ({exc.strerror})"
                ) from None
        if not secret:
            raise UserInputError(f"{ENV}CLIENT_SECRET or {ENV}CLIENT_SECRET_FILE is required")
        public_url = env.get(ENV + "PUBLIC_URL", "").strip().rstrip("/")
        if public_url:
            _check_url(public_url, ENV + "PUBLIC_URL")
        return cls(
            issuer=issuer,
            client_id=client_id,
            client_secret=secret,
            roles=parse_roles(env.get(ENV + "ROLES", "")),
            role_claim=env.get(ENV + "ROLE_CLAIM", "").strip() or "groups",
            name_claim=env.get(ENV + "NAME_CLAIM", "").strip() or "preferred_username",
            sites_claim=env.get(ENV + "SITES_CLAIM", "").strip(),
            public_url=public_url,
        )


def parse_roles(text: str) -> dict[str, Role]:
    """``group=role,group=role`` -> {group: role}; at least one pair."""
    roles: dict[str, Role] = {}
    for pair in (p.strip() for p in text.split(",")):
        if not pair:
            continue
        group, _, role = pair.rpartition("=")
        try:
            roles[group.strip()] = Role(role.strip())
        except ValueError:
            allowed = ", ".join(r.value for r in Role)
            raise UserInputError(
                f"{ENV}ROLES: {pair[:60]!r} is not group=role", hint=f"roles: {allowed}"
            ) from None
        if not group.strip():
            raise UserInputError(f"{ENV}ROLES: {pair[:60]!r} names no group")
    if not roles:
        raise UserInputError(
            f"{ENV}ROLES is required: which group gives which role",
            hint="e.g. imaging-security=security-analyst,radiology-chairs=leadership",
        )
    return roles


def _check_url(url: str, name: str) -> None:
    """https, or http to a loopback address (a provider on the same machine, or a test)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return
    raise UserInputError(f"{name}: {url[:100]!r} must be an https URL")


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """Where to send the browser, and what its cookie must remember for the callback."""

    url: str
    state: str
    nonce: str
    verifier: str


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class Provider:
    """The identity provider: its metadata and keys (fetched, cached), the code exchange and
    the ID token's checks."""

    def __init__(self, settings: OidcSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._fetched = 0.0
        self._keys: Any = None

    def _get(self, url: str) -> dict[str, Any]:
        import httpx

        try:
            reply = httpx.get(url, timeout=TIMEOUT, follow_redirects=False)
            reply.raise_for_status()
            data = reply.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise InfrastructureError(
                f"the identity provider did not answer at {url[:200]} ({type(exc).__name__})"
            ) from None
        if not isinstance(data, dict):
            raise InfrastructureError(f"the identity provider's {url[:200]} is not a JSON object")
        return data

    def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (cached for an hour); its issuer must match."""
        with self._lock:
            if self._metadata is None or time.monotonic() - self._fetched > METADATA_TTL:
                data = self._get(self.settings.issuer + "/.well-known/openid-configuration")
                if str(data.get("issuer", "")).rstrip("/") != self.settings.issuer:
                    raise InfrastructureError(
                        "the identity provider's discovery document names another issuer"
                    )
                for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                    url = data.get(key)
                    if not isinstance(url, str):
                        raise InfrastructureError(f"the identity provider publishes no {key}")
                    _check_url(url, key)
                self._metadata, self._fetched, self._keys = data, time.monotonic(), None
            return self._metadata

    def _key_set(self, refresh: bool = False) -> Any:
        from joserfc.jwk import KeySet

        with self._lock:
            cached = self._keys
        if cached is not None and not refresh:
            return cached
        keys = KeySet.import_key_set(self._get(self.metadata()["jwks_uri"]))  # type: ignore[arg-type]
        with self._lock:
            self._keys = keys
        return keys

    def authorization(self, redirect_uri: str) -> AuthorizationRequest:
        """A fresh authorization request (state, nonce and PKCE verifier)."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid profile email",
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(verifier),
            "code_challenge_method": "S256",
        }
        endpoint = self.metadata()["authorization_endpoint"]
        separator = "&" if "?" in endpoint else "?"
        return AuthorizationRequest(endpoint + separator + urlencode(query), state, nonce, verifier)

    def identity(
        self, code: str, *, redirect_uri: str, nonce: str, verifier: str
    ) -> ExternalIdentity:
        """Exchange the code, verify the ID token, and map its claims to a person."""
        import httpx

        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        try:
            reply = httpx.post(
                self.metadata()["token_endpoint"],
                data=form,
                auth=(self.settings.client_id, self.settings.client_secret),
                timeout=TIMEOUT,
                follow_redirects=False,
            )
        except httpx.HTTPError as exc:
            raise InfrastructureError(
                f"the identity provider's token endpoint did not answer ({type(exc).__name__})"
            ) from None
        if reply.status_code != 200:
            raise SignInRefused("the identity provider refused the sign-in code")
        try:
            id_token = reply.json()["id_token"]
        except (ValueError, KeyError, TypeError):
            raise SignInRefused("the identity provider sent no ID token") from None
        claims = self.verified_claims(str(id_token), nonce)
        return self.map_claims(claims)

    def verified_claims(self, id_token: str, nonce: str) -> Mapping[str, Any]:
        """The ID token's claims, once its signature, issuer, audience, expiry and nonce hold."""
        from joserfc import jwt
        from joserfc.errors import JoseError

        try:
            try:
                token = jwt.decode(id_token, self._key_set(), algorithms=ALGORITHMS)
            except JoseError:  # the provider may have rotated its keys since we fetched them
                token = jwt.decode(id_token, self._key_set(refresh=True), algorithms=ALGORITHMS)
            registry = jwt.JWTClaimsRegistry(
                leeway=LEEWAY,
                iss={"essential": True, "value": self.settings.issuer},
                aud={"essential": True, "value": self.settings.client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True},
                sub={"essential": True},
            )
            registry.validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise SignInRefused(f"the ID token did not verify ({type(exc).__name__})") from None
        return token.claims

    def map_claims(self, claims: Mapping[str, Any]) -> ExternalIdentity:
        """The person the claims describe: name, role (from their groups), sites."""
        settings = self.settings
        name = claims.get(settings.name_claim)
        if not isinstance(name, str) or not name:
            raise SignInRefused(f"the ID token has no {settings.name_claim!r} claim")
        groups = _strings(claims.get(settings.role_claim))
        granted = {settings.roles[g] for g in groups if g in settings.roles}
        role = next((r for r in Role if r in granted), None)  # Role order: the broadest first
        if role is None:
            raise SignInRefused(
                "your account at the identity provider has no ImageWarden role; ask an "
                "administrator to add you to one of the groups that grant one"
            )
        sites = _strings(claims.get(settings.sites_claim)) if settings.sites_claim else ()
        issuer_host = urlsplit(settings.issuer).hostname or "sso"
        return ExternalIdentity(name=name, role=role, sites=tuple(sites), issuer=issuer_host)


def _strings(value: object) -> Sequence[str]:
    """A claim as a list of strings (a single string counts as one)."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(v for v in value if isinstance(v, str))
    return ()
