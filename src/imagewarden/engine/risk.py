"""Explainable risk scores: a 0-100 number that is the sum of named, visible factors.

score = severity points (up to 40)
      + clinical criticality (up to 20)
      + exposure (up to 15)
      + exploitability (up to 15)
      + data sensitivity (up to 10)

Each factor keeps its level and the reason for it, so a reader can see why one finding on a
CT scanner in the emergency department outranks the same finding on a test viewer.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

from imagewarden.model import (
    Check,
    Criticality,
    Exploitability,
    FactValue,
    RiskFactor,
    RiskScore,
    Severity,
    SubjectKind,
)

SEVERITY_POINTS = {
    Severity.INFO: 0.0,
    Severity.LOW: 10.0,
    Severity.MEDIUM: 20.0,
    Severity.HIGH: 30.0,
    Severity.CRITICAL: 40.0,
}
_CRITICALITY = {
    Criticality.LOW.value: 0.25,
    Criticality.MEDIUM.value: 0.5,
    Criticality.HIGH.value: 0.75,
    Criticality.CRITICAL.value: 1.0,
}
_EXPLOITABILITY = {
    Exploitability.LOW: 0.25,
    Exploitability.MEDIUM: 0.5,
    Exploitability.HIGH: 0.8,
    Exploitability.KNOWN_EXPLOITED: 1.0,
}
RISK_FORMULA: tuple[str, ...] = (
    "Severity of the check: critical 40, high 30, medium 20, low 10, info 0 points.",
    "Clinical criticality of the asset: critical 20, high 15, medium 10, low 5 points "
    "(site-wide weaknesses count as high).",
    "Exposure: internet 15, always-on vendor link 12, shared network 10.5, cloud 9, "
    "unknown 7.5, dedicated imaging zone 4.5 points.",
    "Exploitability: known exploited 15, high 12, medium 7.5, low 3.75 points.",
    "Data sensitivity: unencrypted patient data 10, patient data stored 8, unknown 6, "
    "images in transit only 4 points.",
    "The score is the sum, rounded, from 0 to 100.",
)
WEIGHTS = {
    "clinical criticality": 20.0,
    "exposure": 15.0,
    "exploitability": 15.0,
    "data sensitivity": 10.0,
}


def _exposure(facts: Mapping[str, FactValue]) -> tuple[str, float, str]:
    if (
        facts.get("network.internet_exposed") is True
        or facts.get("service.internet_exposed") is True
    ):
        return "internet", 1.0, "reachable from the internet"
    if facts.get("remote_access.mode") == "always_on":
        return "vendor link", 0.8, "vendor remote access is always on"
    if facts.get("network.shared_segment") is True:
        zone = facts.get("asset.network_zone")
        return "shared network", 0.7, f"on a {zone} segment shared with general IT"
    if facts.get("network.shared_segment") is False:
        zone = facts.get("asset.network_zone")
        return "segmented", 0.3, f"in a dedicated {zone} zone"
    if facts.get("asset.category") == "cloud":
        return "cloud", 0.6, "hosted by a cloud provider"
    return "unknown", 0.5, "network placement not recorded"


def _data(facts: Mapping[str, FactValue]) -> tuple[str, float, str]:
    if facts.get("phi.stored") is True:
        if facts.get("phi.encrypted_at_rest") is False:
            return "PHI unencrypted", 1.0, "stores patient data without encryption at rest"
        return "PHI stored", 0.8, "stores patient data"
    if facts.get("phi.stored") is False:
        return "PHI in transit", 0.4, "handles images in transit only"
    if facts.get("asset.category") in ("archive", "information_system"):
        return "PHI stored", 0.8, "archives and information systems hold patient data"
    return "unknown", 0.6, "patient data storage not recorded; assumed present"


def _criticality(facts: Mapping[str, FactValue], subject: SubjectKind) -> tuple[str, float, str]:
    if subject is SubjectKind.SITE:
        return "site-wide", 0.75, "affects the imaging service of the whole site"
    criticality = str(facts.get("asset.criticality", "medium"))
    return criticality, _CRITICALITY.get(criticality, 0.5), f"asset criticality is {criticality}"


# The only facts a score reads. Scores are memoised on their values: a large enterprise has
# tens of thousands of findings but only a few hundred distinct combinations.
_SCORED_FACTS = (
    "asset.criticality",
    "network.internet_exposed",
    "service.internet_exposed",
    "remote_access.mode",
    "network.shared_segment",
    "asset.network_zone",
    "asset.category",
    "phi.stored",
    "phi.encrypted_at_rest",
)


ScoredFacts = tuple["FactValue | None", ...]
"""The values of the facts a score reads, in a fixed order (see ``scored_facts``)."""


def score(
    check: Check, facts: Mapping[str, FactValue], subject: SubjectKind = SubjectKind.ASSET
) -> RiskScore:
    """The explainable 0-100 risk score of a check on a subject with these facts."""
    return score_of(check, scored_facts(facts), subject)


def scored_facts(facts: Mapping[str, FactValue]) -> ScoredFacts:
    """What of ``facts`` a score reads: taken once per subject, whatever checks match it."""
    get = facts.get
    return tuple([get(name) for name in _SCORED_FACTS])


def score_of(check: Check, values: ScoredFacts, subject: SubjectKind) -> RiskScore:
    """``score`` from the subject's ``scored_facts``."""
    return _score(check.severity, check.exploitability, subject, values)


@lru_cache(maxsize=4096)
def _score(
    severity: Severity,
    exploitability: Exploitability,
    subject: SubjectKind,
    values: tuple[FactValue | None, ...],
) -> RiskScore:
    facts = {
        name: value for name, value in zip(_SCORED_FACTS, values, strict=True) if value is not None
    }
    exploit_words = exploitability.value.replace("_", " ")
    levels = {
        "clinical criticality": _criticality(facts, subject),
        "exposure": _exposure(facts),
        "exploitability": (
            exploit_words,
            _EXPLOITABILITY[exploitability],
            f"the weakness is {exploit_words} to exploit"
            if exploitability is not Exploitability.KNOWN_EXPLOITED
            else "this kind of weakness is known to be exploited in the wild",
        ),
        "data sensitivity": _data(facts),
    }
    factors = [
        RiskFactor(
            name="severity",
            level=severity.value,
            weight=40.0,
            points=SEVERITY_POINTS[severity],
            reason=f"the check is rated {severity.value}",
        )
    ]
    for name, (level, fraction, reason) in levels.items():
        weight = WEIGHTS[name]
        factors.append(RiskFactor(name, level, weight, round(weight * fraction, 1), reason))
    total = round(sum(f.points for f in factors))
    return RiskScore(score=max(0, min(100, total)), factors=tuple(factors))
