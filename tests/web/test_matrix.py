"""Every route, for every role, answers as the permission matrix says; nobody unsigned gets in.

The routes are read from the application itself, so a new route without an example here
fails the test instead of going unchecked.
"""

from __future__ import annotations

import datetime as dt
import itertools
import tempfile
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from imagewarden.app import accounts, open_workspace
from imagewarden.app.permissions import (
    CHECKLIST_AUDIENCES,
    MATRIX,
    READ_ACTIONS,
    Action,
    Principal,
    Role,
    principal,
)
from imagewarden.catalog import load_catalog
from imagewarden.governance import api as governance
from imagewarden.governance.checklists import find_checklist
from imagewarden.governance.interface import PlanItem
from imagewarden.model.checklist import Audience
from imagewarden.resilience import api as resilience
from imagewarden.resilience.drills import DrillItemKind
from imagewarden.web.app import UndeclaredRoute, create_app, route_actions
from tests.web.conftest import PASSWORD, SITE_LIMITED, Deployment

CSV = "id,site,name,type,network_zone,criticality\nUS-{n},north,Ultrasound {n},US,imaging,medium\n"
_counter = itertools.count()


def _app(db: str) -> FastAPI:
    return create_app(lambda: open_workspace(db))


def _name(path: str, who: Principal | None) -> str:
    if path.startswith("/reports"):
        return "findings.json"
    if path.startswith("/checklists"):  # a checklist the role answers (its audience's)
        audiences = CHECKLIST_AUDIENCES[who.role] if who is not None else frozenset()
        return next((a.value for a in Audience if a in audiences), "executive")
    return "victim"


def _fill(path: str, deployment: Deployment, who: Principal | None = None) -> str:
    if "{item_id}" in path and "{drill_id}" in path:
        drill, item = _finished_drill(deployment)
        path = path.replace("{drill_id}", str(drill)).replace("{item_id}", str(item))
    if "{item_id}" in path:
        path = path.replace("{item_id}", _plan_item(deployment).id)
    if "{drill_id}" in path:
        path = path.replace("{drill_id}", str(_drill(deployment)))
    return (
        path.replace("{finding_id}", deployment.finding_ids["north"])
        .replace("{asset_id}", "CT-1")
        .replace("{name}", _name(path, who))
    )


def _plan_item(deployment: Deployment) -> PlanItem:
    with open_workspace(deployment.db, actor="test") as workspace:
        return next(i for i in governance.plan_items(workspace) if i.site_id == "north")


def _drill(deployment: Deployment) -> int:
    with open_workspace(deployment.db, actor="test") as workspace:
        overview = resilience.drill_overview(workspace)
    return next(d.id for d in overview.drills if d.title == "PACS downtime drill")


def _finished_drill(deployment: Deployment) -> tuple[int, int]:
    """A fresh finished drill at north with one open improvement item (done only once)."""
    with open_workspace(deployment.db, actor="test") as workspace:
        drill = resilience.schedule_drill(
            workspace, site_id="north", title="Ransomware night", on=dt.date(2026, 4, 1)
        )
        resilience.log_drill(workspace, drill.id, "PACS isolated")
        request = resilience.DrillReportRequest(
            drill.id,
            out=Path(tempfile.mkdtemp()) / "after-action.html",
            improvements=(resilience.NewDrillItem(
                DrillItemKind.IMPROVEMENT, "print downtime forms", "PACS team",
                dt.date(2026, 6, 1)),),
        )  # fmt: skip
        resilience.report_drill(workspace, request)
        detail = resilience.drill_detail(workspace, drill.id)
    return drill.id, next(i.id for i in detail.items if i.kind is DrillItemKind.IMPROVEMENT)


def _page_request(
    client: httpx.Client,
    method: str,
    path: str,
    csrf: str,
    deployment: Deployment,
    who: Principal | None = None,
) -> httpx.Response:
    url = _fill(path, deployment, who)
    if method == "GET":
        return client.get(url)
    if path == "/login":  # public: a fresh sign-in, in a client of its own
        fresh = httpx.Client(base_url=deployment.url, follow_redirects=False, timeout=30)
        fresh.get("/login")
        token = fresh.cookies.get("iw_login_csrf", path="/login")
        name = client.get("/account").text.split('class="who">')[1].split("</a>")[0]
        name = name.rsplit(">", 1)[-1].strip()
        form = {"name": name, "password": PASSWORD, "csrf_token": token or ""}
        return fresh.post("/login", data=form)
    n = next(_counter)
    data: dict[str, str | list[str]] = {"csrf_token": csrf}
    files = None
    if path.endswith("/accept"):
        data |= {"reason": "replacement ordered", "until": "2099-01-01"}
    elif path.endswith(("/false-positive", "/reopen")):
        data |= {"reason": "checked by hand"}
    elif path.endswith("/comment"):
        data |= {"text": "looked at it"}
    elif path.endswith("/owner"):
        data |= {"owner": "PACS team"}
    elif path == "/users":
        data |= {"name": f"new-{n}", "role": "auditor", "password": PASSWORD}
    elif path.endswith("/role"):
        data |= {"role": "auditor"}
    elif path.endswith("/answer"):
        data |= {"question": _first_question(url), "site": "north", "answer": "partial",
                 "owner": "Radiology chair", "due": "2099-01-01"}  # fmt: skip
    elif path == "/plan/{item_id}":
        data |= {"revision": str(_plan_item(deployment).revision), "owner": f"owner {n}"}
    elif path.endswith("/log"):
        data |= {"text": f"step {n} done"}
    elif path == "/assets/import":
        files = {"file": ("more.csv", CSV.format(n=n).encode(), "text/csv")}
    return client.post(url, data=data, files=files)


def _first_question(url: str) -> str:
    name = url.split("/")[2]
    chosen = find_checklist(load_catalog(), name)
    assert chosen is not None, name
    return chosen.questions[0].id


def _api_request(method: str, path: str, token: str, deployment: Deployment) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"}
    url = deployment.url + _fill(path, deployment)
    if method == "GET":
        return httpx.get(url, headers=headers, timeout=30)
    if path.endswith("/accept"):
        body = {"reason": "vendor patch scheduled", "until": "2099-01-01"}
        return httpx.post(url, headers=headers, json=body, timeout=30)
    n = next(_counter)
    files = {"file": ("api.csv", CSV.format(n=n).encode(), "text/csv")}
    return httpx.post(url, headers=headers, files=files, timeout=30)


def _expected(who: Principal, action: Action | None, path: str) -> bool:
    if action is None:
        return True
    site = "north" if "{finding_id}" in path or "{asset_id}" in path else None
    if action.value.endswith(".view") and site is not None:
        return who.may(action) and who.may_see_site(site)
    return who.may(action, site)


def _ordered(routes: dict[tuple[str, str], Action | None]) -> list[tuple[str, str]]:
    """Reads first, then writes; signing out last."""
    return sorted(routes, key=lambda r: (r[1] == "/logout", r[0] != "GET", r[1]))


ACCOUNTS = [*(r.value for r in Role), SITE_LIMITED]


@pytest.mark.parametrize("name", ACCOUNTS)
def test_every_route_answers_each_role_as_the_matrix_says(
    deployment: Deployment, name: str
) -> None:
    with open_workspace(deployment.db, actor="test") as workspace:
        if accounts.account(workspace, "victim") is None:
            accounts.add_user(workspace, "victim", "auditor", password=PASSWORD)
        record = accounts.account(workspace, name)
    assert record is not None
    who = principal(record.name, record.role, record.sites)
    routes = route_actions(_app(deployment.db))
    client = deployment.login(name)
    csrf = deployment.csrf(client)
    mismatches = []
    for method, path in _ordered(routes):
        action = routes[(method, path)]
        if path.startswith("/api/v1"):
            reply = _api_request(method, path, deployment.tokens[name], deployment)
        else:
            reply = _page_request(client, method, path, csrf, deployment, who)
        allowed = _expected(who, action, path)
        ok = reply.status_code in (200, 303) if allowed else reply.status_code == 403
        if path.startswith("/login/sso"):  # public; this deployment has no single sign-on
            ok = reply.status_code == 404
        if not ok:
            mismatches.append((method, path, action, allowed, reply.status_code))
    assert mismatches == []


def test_unsigned_requests_are_sent_to_sign_in_or_refused(deployment: Deployment) -> None:
    routes = route_actions(_app(deployment.db))
    anonymous = httpx.Client(base_url=deployment.url, follow_redirects=False, timeout=30)
    for (method, path), action in routes.items():
        if action is None:
            continue
        reply = anonymous.request(method, _fill(path, deployment))
        if path.startswith("/api/v1"):
            assert reply.status_code == 401, (method, path)
            assert reply.headers["www-authenticate"] == "Bearer"
        else:
            assert reply.status_code == 303, (method, path)
            assert reply.headers["location"].startswith("/login")


def test_a_forged_or_revoked_token_is_refused(deployment: Deployment) -> None:
    token = deployment.tokens["admin"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    for bad in (forged, "iwt_nothing_here", "garbage"):
        reply = httpx.get(
            f"{deployment.url}/api/v1/findings",
            headers={"Authorization": f"Bearer {bad}"},
            timeout=30,
        )
        assert reply.status_code == 401


def test_every_role_has_a_row_and_the_auditor_changes_nothing() -> None:
    assert set(MATRIX) == set(Role)
    assert MATRIX[Role.AUDITOR] == READ_ACTIONS
    assert all(a.value.endswith((".view", ".download")) for a in READ_ACTIONS)
    assert Action.FINDINGS_TRIAGE not in MATRIX[Role.LEADERSHIP]


def test_an_application_with_an_undeclared_route_is_refused() -> None:
    app = FastAPI()

    @app.get("/open")
    def open_route() -> str:
        return "anyone"

    with pytest.raises(UndeclaredRoute, match="/open"):
        route_actions(app)
