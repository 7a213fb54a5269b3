"""Evidence never carries patient data or secrets; risk scores explain themselves."""

from __future__ import annotations

import pytest

from imagewarden.engine.redaction import REDACTED, redact
from imagewarden.engine.risk import score
from imagewarden.model import Check, Severity, SubjectKind


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("dicom.patient_name", "anything"),
        ("PatientID", "12345"),
        ("probe.sample", "CANARY^PHI"),
        ("banner", "DOE^JANE^^^"),
        ("http.login_password", "orthanc"),
        ("config", "user=admin password=secret"),
    ],
)
def test_patient_data_and_secrets_are_redacted(key: str, value: str) -> None:
    assert redact({key: value}) == {key: REDACTED}


def test_ordinary_evidence_is_kept() -> None:
    evidence = {"asset.os": "Windows 7", "service.port": 104, "ae": "RMC_CT1", "tls": False}
    assert redact(evidence) == evidence


def _check(severity: str = "high", exploitability: str = "medium") -> Check:
    return Check.model_validate(
        {
            "id": "urn:imagewarden:check:test",
            "title": "t",
            "why": "w",
            "when": {"fact": "x", "equals": True},
            "severity": severity,
            "exploitability": exploitability,
            "safeguards": ["urn:imagewarden:safeguard:x"],
        }
    )


def test_score_is_the_sum_of_its_factors() -> None:
    risk = score(
        _check(),
        {
            "asset.criticality": "critical",
            "network.shared_segment": True,
            "asset.network_zone": "flat",
            "phi.stored": True,
        },
    )
    assert risk.score == round(sum(f.points for f in risk.factors))
    names = [f.name for f in risk.factors]
    assert names == [
        "severity",
        "clinical criticality",
        "exposure",
        "exploitability",
        "data sensitivity",
    ]
    assert all(f.reason for f in risk.factors)


def test_exposure_and_criticality_raise_the_score() -> None:
    check = _check()
    quiet = score(
        check, {"asset.criticality": "low", "network.shared_segment": False, "phi.stored": False}
    )
    loud = score(
        check,
        {
            "asset.criticality": "critical",
            "network.internet_exposed": True,
            "phi.stored": True,
            "phi.encrypted_at_rest": False,
        },
    )
    assert quiet.score < loud.score <= 100
    assert {f.name: f.level for f in loud.factors}["exposure"] == "internet"


def test_severity_orders_scores_for_the_same_subject() -> None:
    facts = {"asset.criticality": "high"}
    scores = [score(_check(s.value), facts).score for s in Severity]
    assert scores == sorted(scores)


def test_site_checks_are_site_wide() -> None:
    risk = score(_check(), {}, SubjectKind.SITE)
    assert risk.factors[1].level == "site-wide"


def test_published_formula_matches_the_points_awarded() -> None:
    from imagewarden.engine.risk import RISK_FORMULA

    text = " ".join(RISK_FORMULA)
    check = _check("critical", "known_exploited")
    risk = score(
        check,
        {
            "asset.criticality": "critical",
            "network.internet_exposed": True,
            "phi.stored": True,
            "phi.encrypted_at_rest": False,
        },
    )
    for factor in risk.factors:
        assert f"{factor.points:g}" in text, factor
    assert risk.score == 100
