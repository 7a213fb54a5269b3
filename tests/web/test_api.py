"""The JSON API: tokens, roles, pagination, uploads, and schemathesis against its OpenAPI
schema on a running server (no 5xx; every response matches its declared schema)."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case
from schemathesis.checks import positive_data_acceptance

from imagewarden.app import open_workspace
from tests.web.conftest import Deployment


def _get(deployment: Deployment, path: str, who: str = "admin", **params: object) -> httpx.Response:
    return httpx.get(
        f"{deployment.url}/api/v1{path}",
        params=params,  # type: ignore[arg-type]
        headers={"Authorization": f"Bearer {deployment.tokens[who]}"},
        timeout=30,
    )


def _fuzz(deployment: Deployment, who: str, examples: int) -> int:
    """Run schemathesis' generated cases against every operation; returns how many ran."""
    schema = schemathesis.openapi.from_url(f"{deployment.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {deployment.tokens[who]}"}
    ran = 0
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def check(case: Case) -> None:
            # Every check but "schema-valid data is accepted": an inventory's rows and an
            # acceptance date in the past are checked by meaning, which no schema can express.
            case.call_and_validate(
                headers=headers, timeout=30, excluded_checks=[positive_data_acceptance]
            )

        check()
        ran += 1
    return ran


def test_the_api_never_fails_and_matches_its_schema(deployment: Deployment) -> None:
    assert _fuzz(deployment, "admin", 25) >= 6


def test_a_read_only_role_gets_schema_conformant_refusals(deployment: Deployment) -> None:
    assert _fuzz(deployment, "auditor", 8) >= 6


def test_findings_are_paginated_and_filtered(deployment: Deployment) -> None:
    everything = _get(deployment, "/findings", limit=500).json()
    first = _get(deployment, "/findings", limit=2).json()
    second = _get(deployment, "/findings", limit=2, offset=2).json()
    assert first["total"] == everything["total"] > 4
    assert [f["id"] for f in first["items"] + second["items"]] == [
        f["id"] for f in everything["items"][:4]
    ]
    north = _get(deployment, "/findings", site="north", limit=500).json()
    assert north["items"] and {f["site_id"] for f in north["items"]} == {"north"}
    scores = [f["risk_score"] for f in everything["items"]]
    assert scores == sorted(scores, reverse=True)


def test_a_site_limited_token_sees_only_its_site(deployment: Deployment) -> None:
    mine = _get(deployment, "/findings", who="north-lead", limit=500).json()
    assert {f["site_id"] for f in mine["items"]} <= {"north", "enterprise"}
    south = deployment.finding_ids["south"]
    assert _get(deployment, f"/findings/{south}", who="north-lead").status_code == 404
    assert _get(deployment, "/findings", who="north-lead", site="south").status_code == 403


def test_accepting_through_the_api_is_audited_with_the_tokens_owner(
    deployment: Deployment,
) -> None:
    finding = deployment.finding_ids["north"]
    reply = httpx.post(
        f"{deployment.url}/api/v1/findings/{finding}/accept",
        json={"reason": "compensating control: isolated VLAN", "until": "2099-06-30"},
        headers={"Authorization": f"Bearer {deployment.tokens['security-analyst']}"},
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["status"] == "accepted"
    entries = _get(deployment, "/audit", target=finding, action="finding.accepted").json()
    assert entries[0]["actor"] == "security-analyst"
    assert entries[0]["after"]["reason"] == "compensating control: isolated VLAN"
    refused = httpx.post(
        f"{deployment.url}/api/v1/findings/{finding}/accept",
        json={"reason": "no", "until": "2099-06-30"},
        headers={"Authorization": f"Bearer {deployment.tokens['leadership']}"},
        timeout=30,
    )
    assert refused.status_code == 403


def test_an_inventory_upload_is_all_or_nothing_with_line_numbers(
    deployment: Deployment,
) -> None:
    headers = {"Authorization": f"Bearer {deployment.tokens['imaging-lead']}"}
    bad = (
        "id,site,name,type,criticality\n"
        "US-77,north,Probe,US,medium\n"
        "US-78,north,Probe 2,US,sky-high\n"
    )
    reply = httpx.post(
        f"{deployment.url}/api/v1/inventory",
        files={"file": ("probes.csv", bad.encode(), "text/csv")},
        headers=headers,
        timeout=30,
    )
    assert reply.status_code == 400
    assert reply.json()["detail"].startswith("probes.csv:3")
    with open_workspace(deployment.db) as workspace:
        assert "US-77" not in {a.id for a in workspace.store.assets()}
    good = bad.replace("sky-high", "high")
    reply = httpx.post(
        f"{deployment.url}/api/v1/inventory",
        files={"file": ("probes.csv", good.encode(), "text/csv")},
        headers=headers,
        timeout=30,
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["assets_added"] == 2
    imports = _get(deployment, "/audit", action="inventory.import", actor="imaging-lead").json()
    assert [e["target"] for e in imports] == ["file probes.csv"]
