"""Single sign-on with OpenID Connect against a real (small) provider on loopback: the role
comes from the person's groups, and every forged or replayed answer is refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from imagewarden.app import accounts, open_workspace
from imagewarden.catalog import Catalog
from imagewarden.model import UserInputError
from imagewarden.web.app import WebSettings
from imagewarden.web.oidc import OidcSettings
from tests.web.conftest import make_enterprise, serve
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider, running_provider

GROUPS = "imaging-security=security-analyst,radiology-chairs=leadership,pacs-admins=admin"


@dataclass
class Sso:
    url: str
    db: str
    provider: Provider

    def sign_in(self, person: dict[str, object], forge: str = "") -> httpx.Response:
        """Go through the whole flow in a fresh browser-like client; the last answer."""
        self.provider.person, self.provider.forge = person, forge
        client = httpx.Client(follow_redirects=True, timeout=30)
        reply = client.get(self.url + "/login/sso?next=/findings")
        reply.session_cookie = client.cookies.get("iw_session")  # type: ignore[attr-defined]
        return reply


@pytest.fixture(scope="module")
def sso(database: str, module_catalog: Catalog) -> Iterator[Sso]:
    make_enterprise(database, module_catalog)
    with running_provider() as provider:
        settings = OidcSettings.from_environment(
            {
                "IMAGEWARDEN_OIDC_ISSUER": provider.url,
                "IMAGEWARDEN_OIDC_CLIENT_ID": CLIENT_ID,
                "IMAGEWARDEN_OIDC_CLIENT_SECRET": CLIENT_SECRET,
                "IMAGEWARDEN_OIDC_ROLES": GROUPS,
                "IMAGEWARDEN_OIDC_SITES_CLAIM": "sites",
            }
        )
        with serve(database, settings=WebSettings(login_attempts=10_000, oidc=settings)) as url:
            yield Sso(url, database, provider)


def test_a_person_signs_in_with_the_role_their_groups_give(sso: Sso) -> None:
    reply = sso.sign_in({"preferred_username": "dana.reyes", "groups": ["imaging-security"]})
    assert reply.status_code == 200 and str(reply.url).endswith("/findings")
    assert 'class="who"' in reply.text and "dana.reyes" in reply.text
    with open_workspace(sso.db) as workspace:
        record = accounts.account(workspace, "dana.reyes")
        assert record is not None
        assert (record.role, record.has_password) == ("security-analyst", False)
        [added] = workspace.store.audit_entries(action="user.add", target="dana.reyes")
    assert added.actor == "sso:127.0.0.1"


def test_a_later_sign_in_follows_the_groups_and_the_sites(sso: Sso) -> None:
    sso.sign_in({"preferred_username": "lee.chair", "groups": ["radiology-chairs"]})
    reply = sso.sign_in(
        {"preferred_username": "lee.chair", "groups": ["radiology-chairs", "pacs-admins"],
         "sites": ["north"]}
    )  # fmt: skip
    assert reply.status_code == 200
    with open_workspace(sso.db) as workspace:
        record = accounts.account(workspace, "lee.chair")
    assert record is not None and (record.role, record.sites) == ("admin", ("north",))


@pytest.mark.parametrize("forge", ["nonce", "audience", "issuer", "expired", "key", "unsigned"])
def test_a_forged_id_token_signs_nobody_in(sso: Sso, forge: str) -> None:
    person = {"preferred_username": f"mallory-{forge}", "groups": ["pacs-admins"]}
    reply = sso.sign_in(person, forge)
    assert reply.status_code == 403 and "did not verify" in reply.text
    assert reply.session_cookie is None  # type: ignore[attr-defined]
    with open_workspace(sso.db) as workspace:
        assert accounts.account(workspace, f"mallory-{forge}") is None


def test_a_person_without_a_mapped_group_is_refused(sso: Sso) -> None:
    reply = sso.sign_in({"preferred_username": "visitor", "groups": ["cafeteria"]})
    assert reply.status_code == 403 and "no ImageWarden role" in reply.text
    assert reply.session_cookie is None  # type: ignore[attr-defined]


def test_a_local_account_is_never_taken_over(sso: Sso) -> None:
    reply = sso.sign_in({"preferred_username": "admin", "groups": ["imaging-security"]})
    assert reply.status_code == 403 and "local account" in reply.text
    with open_workspace(sso.db) as workspace:
        record = accounts.account(workspace, "admin")
    assert record is not None and record.role == "admin" and record.has_password


def test_a_callback_that_did_not_start_here_is_refused(sso: Sso) -> None:
    """Login CSRF: a code and state from someone else's flow, in a browser without the cookie."""
    sso.provider.person, sso.provider.forge = {"preferred_username": "eve", "groups": []}, ""
    attacker = httpx.Client(follow_redirects=False, timeout=30)
    start = attacker.get(sso.url + "/login/sso")
    at_provider = attacker.get(start.headers["location"])
    callback = at_provider.headers["location"]
    victim = httpx.Client(follow_redirects=False, timeout=30)
    reply = victim.get(callback)
    assert reply.status_code == 403 and "did not start here" in reply.text
    assert victim.cookies.get("iw_session") is None
    requests = sso.provider.token_requests
    tampered = httpx.Client(follow_redirects=False, timeout=30, cookies=attacker.cookies)
    assert tampered.get(callback.replace("state=", "state=x")).status_code == 403
    assert sso.provider.token_requests == requests  # refused before the code was used


def test_the_sign_in_page_offers_single_sign_on_only_when_configured(sso: Sso) -> None:
    assert "/login/sso" in httpx.get(sso.url + "/login", timeout=30).text
    with serve(sso.db) as plain:
        assert "/login/sso" not in httpx.get(plain + "/login", timeout=30).text
        assert httpx.get(plain + "/login/sso", timeout=30).status_code == 404


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"IMAGEWARDEN_OIDC_ISSUER": "http://idp.hospital.example"}, "https"),
        ({"IMAGEWARDEN_OIDC_ISSUER": "https://idp.example"}, "CLIENT_ID"),
        ({"IMAGEWARDEN_OIDC_ISSUER": "https://idp.example", "IMAGEWARDEN_OIDC_CLIENT_ID": "c"},
         "CLIENT_SECRET"),
        ({"IMAGEWARDEN_OIDC_ISSUER": "https://idp.example", "IMAGEWARDEN_OIDC_CLIENT_ID": "c",
          "IMAGEWARDEN_OIDC_CLIENT_SECRET": "s"}, "ROLES is required"),
        ({"IMAGEWARDEN_OIDC_ISSUER": "https://idp.example", "IMAGEWARDEN_OIDC_CLIENT_ID": "c",
          "IMAGEWARDEN_OIDC_CLIENT_SECRET": "s", "IMAGEWARDEN_OIDC_ROLES": "staff=superuser"},
         "not group=role"),
    ],
)  # fmt: skip
def test_wrong_settings_are_refused_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(UserInputError, match=message):
        OidcSettings.from_environment(env)


def test_no_issuer_means_no_single_sign_on() -> None:
    assert OidcSettings.from_environment({}) is None
