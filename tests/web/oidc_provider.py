"""A small OpenID Connect provider for the single sign-on tests, served on 127.0.0.1.

It implements what the workspace relies on (discovery, the authorization endpoint with PKCE,
the token endpoint with client authentication, the key set) and signs ID tokens with a real
RSA key. ``Provider.person`` is who "signs in" at the next authorization; ``Provider.forge``
makes the next ID token wrong in one named way, to test each refusal.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "imagewarden-workspace"
CLIENT_SECRET = "a-client-secret-for-tests-only"


@dataclass
class Provider:
    """The provider's state: its key, the next person, pending codes, what to forge."""

    url: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    person: dict[str, Any] = field(default_factory=dict)
    forge: str = ""
    """'' (honest), 'nonce', 'audience', 'issuer', 'expired', 'key' or 'unsigned'."""
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: int = 0

    def id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url + "/wrong" if self.forge == "issuer" else self.url,
            "aud": "another-client" if self.forge == "audience" else CLIENT_ID,
            "sub": "subject-" + str(self.person.get("preferred_username", "")),
            "iat": now,
            "exp": now - 3600 if self.forge == "expired" else now + 300,
            "nonce": "another-nonce" if self.forge == "nonce" else nonce,
            **self.person,
        }
        if self.forge == "unsigned":
            header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
            body = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key).split(".")[1]
            return f"{header}.{body}."
        key = self.key
        if self.forge == "key":  # same key id, another key: the signature must not verify
            key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def provider_app(provider: Provider) -> FastAPI:
    """The provider's endpoints."""
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": provider.url,
            "authorization_endpoint": provider.url + "/authorize",
            "token_endpoint": provider.url + "/token",
            "jwks_uri": provider.url + "/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        return {"keys": [provider.key.as_dict(private=False)]}

    @app.get("/authorize")
    def authorize(request: Request) -> Response:
        q = request.query_params
        if q.get("client_id") != CLIENT_ID or q.get("code_challenge_method") != "S256":
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        code = secrets.token_urlsafe(16)
        provider.codes[code] = {
            "nonce": q["nonce"],
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
        }
        target = q["redirect_uri"] + "?" + urlencode({"code": code, "state": q["state"]})
        return RedirectResponse(target, status_code=303)

    @app.post("/token")
    def token(
        request: Request,
        grant_type: str = Form(),
        code: str = Form(),
        redirect_uri: str = Form(),
        code_verifier: str = Form(),
    ) -> Response:
        provider.token_requests += 1
        expected = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != expected:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        pending = provider.codes.pop(code, None)
        digest = hashlib.sha256(code_verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if (
            grant_type != "authorization_code"
            or pending is None
            or pending["redirect_uri"] != redirect_uri
            or pending["challenge"] != challenge
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        body = {"access_token": secrets.token_urlsafe(16), "token_type": "Bearer",
                "id_token": provider.id_token(pending["nonce"])}  # fmt: skip
        return JSONResponse(body)

    return app


@contextlib.contextmanager
def running_provider() -> Iterator[Provider]:
    """The provider on 127.0.0.1 (an ephemeral port), in a thread."""
    from tests.web.conftest import serve_app

    provider = Provider()
    app = provider_app(provider)
    with serve_app(app) as url:
        provider.url = url
        yield provider
