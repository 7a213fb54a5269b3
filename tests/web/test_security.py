"""Session security: cookie flags, CSRF, headers, sign-in limits and lockout, redirects,
and the vendored htmx (version, licence, checksum)."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import httpx
import pytest

from imagewarden.app import accounts, open_workspace
from imagewarden.app.findings import get_finding
from imagewarden.web.app import WebSettings
from tests.web.conftest import PASSWORD, Deployment, serve

STATIC = Path(__file__).parents[2] / "src" / "imagewarden" / "web" / "static"


def _status(deployment: Deployment, finding_id: str) -> str:
    with open_workspace(deployment.db) as workspace:
        return get_finding(workspace, finding_id).status.value


def _login_reply(url: str, name: str, password: str, **headers: str) -> httpx.Response:
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=30, headers=headers)
    page = client.get("/login").text
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    token = page[start : page.index('"', start)]
    # Sent by hand: over (proxied) HTTPS the cookie is Secure, which httpx keeps for https URLs.
    return client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": token},
        headers={"Cookie": f"iw_login_csrf={token}"},
    )


def test_session_cookie_is_httponly_and_lax_and_not_secure_over_http(
    deployment: Deployment,
) -> None:
    reply = _login_reply(deployment.url, "admin", PASSWORD)
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("iw_session="))
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in flags
    assert "samesite=lax" in flags
    assert "secure" not in flags


def test_a_client_cannot_claim_https_without_a_trusted_proxy(deployment: Deployment) -> None:
    reply = _login_reply(deployment.url, "admin", PASSWORD, **{"X-Forwarded-Proto": "https"})
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("iw_session="))
    assert "secure" not in cookie.lower()
    assert "strict-transport-security" not in reply.headers


def test_behind_a_trusted_proxy_https_cookies_are_secure(deployment: Deployment) -> None:
    with serve(deployment.db, trusted_proxies=("127.0.0.1",)) as url:
        reply = _login_reply(url, "admin", PASSWORD, **{"X-Forwarded-Proto": "https"})
    cookie = next(c for c in reply.headers.get_list("set-cookie") if c.startswith("iw_session="))
    assert "secure" in {p.strip().lower() for p in cookie.split(";")}
    assert reply.headers["strict-transport-security"].startswith("max-age=")


def test_every_page_carries_the_security_headers(deployment: Deployment) -> None:
    client = deployment.login("auditor")
    for path in ("/", "/findings", "/login", "/static/app.css", "/api/v1/openapi.json"):
        headers = client.get(path).headers
        policy = headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        if not path.startswith("/static"):
            assert headers["cache-control"] == "no-store"


def test_pages_have_no_inline_script_or_style(deployment: Deployment) -> None:
    client = deployment.login("admin")
    finding = deployment.finding_ids["north"]
    for path in ("/", "/findings", f"/findings/{finding}", "/assets", "/audit", "/users"):
        page = client.get(path).text
        assert "<script>" not in page and "<style" not in page and " style=" not in page
        assert "onclick" not in page.lower()


@pytest.mark.parametrize("token", ["", "wrong", "other-session"])
def test_a_change_without_the_sessions_csrf_token_is_refused(
    deployment: Deployment, token: str
) -> None:
    client = deployment.login("security-analyst")
    if token == "other-session":
        token = deployment.csrf(deployment.login("admin"))
    finding = deployment.finding_ids["south"]
    before = _status(deployment, finding)
    reply = client.post(
        f"/findings/{finding}/accept",
        data={"reason": "forged", "until": "2099-01-01", "csrf_token": token},
    )
    assert reply.status_code == 403
    assert _status(deployment, finding) == before


def test_the_csrf_token_may_come_as_the_htmx_header(deployment: Deployment) -> None:
    client = deployment.login("security-analyst")
    finding = deployment.finding_ids["south"]
    reply = client.post(
        f"/findings/{finding}/comment",
        data={"text": "seen"},
        headers={"X-CSRF-Token": deployment.csrf(client)},
    )
    assert reply.status_code == 303


def test_repeated_failures_lock_the_account_and_the_lock_is_audited(
    deployment: Deployment,
) -> None:
    with open_workspace(deployment.db, actor="test") as workspace:
        accounts.add_user(workspace, "lockme", "auditor", password=PASSWORD)
    for _ in range(accounts.LOCK_THRESHOLD - 1):
        assert _login_reply(deployment.url, "lockme", "wrong password!").status_code == 401
    locked = _login_reply(deployment.url, "lockme", "wrong password!")
    assert locked.status_code == 401 and "locked" in locked.text
    still = _login_reply(deployment.url, "lockme", PASSWORD)
    assert still.status_code == 401 and "locked" in still.text
    with open_workspace(deployment.db) as workspace:
        entries = workspace.store.audit_entries(action="user.locked")
    assert [e.target for e in entries] == ["user lockme"]


def test_sign_in_attempts_per_address_are_limited(deployment: Deployment) -> None:
    with serve(deployment.db, settings=WebSettings(login_attempts=3)) as url:
        codes = [_login_reply(url, "nobody", "wrong password!").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_signing_out_and_disabling_end_the_session(deployment: Deployment) -> None:
    client = deployment.login("clinical-engineering")
    assert client.get("/").status_code == 200
    client.post("/logout", data={"csrf_token": deployment.csrf(client)})
    assert client.get("/").status_code == 303

    with open_workspace(deployment.db, actor="test") as workspace:
        accounts.add_user(workspace, "leaver", "auditor", password=PASSWORD)
    leaver = deployment.login("leaver")
    assert leaver.get("/").status_code == 200
    with open_workspace(deployment.db, actor="test") as workspace:
        accounts.set_disabled(workspace, "leaver")
    assert leaver.get("/").status_code == 303


def test_sign_in_redirects_only_within_the_workspace(deployment: Deployment) -> None:
    for target, expected in (("//evil.example/x", "/"), ("https://evil.example", "/"),
                             ("/findings", "/findings")):  # fmt: skip
        client = httpx.Client(base_url=deployment.url, follow_redirects=False, timeout=30)
        client.get("/login")
        token = client.cookies.get("iw_login_csrf", path="/login") or ""
        reply = client.post(
            "/login",
            data={"name": "admin", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert reply.headers["location"] == expected


def test_passwords_are_never_logged_or_audited(
    deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "a-very-secret-password-123"
    caplog.set_level(logging.DEBUG)
    with open_workspace(deployment.db, actor="test") as workspace:
        accounts.add_user(workspace, "pw-user", "auditor", password=secret)
        accounts.set_password(workspace, "pw-user", secret + "x")
    _login_reply(deployment.url, "pw-user", secret)
    _login_reply(deployment.url, "pw-user", secret + "x")
    with open_workspace(deployment.db) as workspace:
        audit = json.dumps([(e.before, e.after) for e in workspace.store.audit_entries()])
    assert secret not in caplog.text
    assert secret not in audit and "argon2" not in audit


def test_vendored_htmx_matches_its_recorded_version_and_checksum() -> None:
    record = json.loads((STATIC / "VENDORED.json").read_text())["htmx.min.js"]
    digest = hashlib.sha256((STATIC / "htmx.min.js").read_bytes()).hexdigest()
    assert digest == record["sha256"]
    assert (STATIC / record["licence_file"]).read_text().startswith("Zero-Clause BSD")
    assert f'version:"{record["version"]}"' in (STATIC / "htmx.min.js").read_text()
