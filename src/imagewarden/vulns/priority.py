"""Act / attend / track: a decision explained from exploitation, exposure, clinical role
and technical impact, in that order of weight.

- act: known exploited (KEV); or likely exploitation (EPSS >= 10 %) on an exposed or
  clinically critical asset; or a critical flaw on an internet-exposed asset.
- attend: some exploitation likelihood (EPSS >= 1 %), or a high/critical flaw on an asset that
  is exposed or clinically important.
- track: the rest. A match of "possible" confidence is never above attend until confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from imagewarden.model import FactValue
from imagewarden.vulns.interface import Confidence, EpssScore, KevEntry, Priority

EPSS_LIKELY = 0.10
EPSS_SOME = 0.01


@dataclass(frozen=True, slots=True)
class Decision:
    """A priority and the reason for it, in words."""

    priority: Priority
    reason: str


def _exposure(facts: Mapping[str, FactValue]) -> tuple[str, int]:
    """(text, level): 2 internet or always-on vendor link, 1 shared network, 0 otherwise."""
    if facts.get("network.internet_exposed") is True:
        return "reachable from the internet", 2
    if facts.get("remote_access.mode") == "always_on":
        return "always-on vendor link", 2
    if facts.get("network.shared_segment") is True:
        return "on a network shared with general IT", 1
    if facts.get("network.shared_segment") is False:
        return "in a dedicated imaging zone", 0
    return "network placement unknown", 1


def _likely(epss: EpssScore | None, matters: bool) -> bool:
    return epss is not None and epss.epss >= EPSS_LIKELY and matters


def decide(
    *,
    cvss: float | None,
    kev: KevEntry | None,
    epss: EpssScore | None,
    facts: Mapping[str, FactValue],
    internet_service: bool,
    confidence: Confidence,
) -> Decision:
    """Act, attend or track, with the reason (see the module's rules)."""
    exposure, level = _exposure(facts)
    if internet_service:
        exposure, level = "a service is reachable from the internet", 2
    critical_role = facts.get("asset.criticality") in ("high", "critical")
    role = f"clinical criticality {facts.get('asset.criticality', 'unknown')}"
    impact = f"CVSS {cvss:.1f}" if cvss is not None else "CVSS not scored"
    likelihood = f"EPSS {epss.epss:.1%}" if epss is not None else "no EPSS score"
    parts = [impact, likelihood, exposure, role]
    if kev is not None:
        exploited = "known exploited (CISA KEV"
        exploited += ", used by ransomware)" if kev.ransomware else ")"
        parts.insert(0, exploited)
        priority = Priority.ACT
    elif _likely(epss, level >= 1 or critical_role) or (
        cvss is not None and cvss >= 9.0 and level == 2
    ):
        priority = Priority.ACT
    elif (epss is not None and epss.epss >= EPSS_SOME) or (
        cvss is not None and cvss >= 7.0 and (level >= 1 or critical_role)
    ):
        priority = Priority.ATTEND
    else:
        priority = Priority.TRACK
    if confidence is Confidence.POSSIBLE and priority is Priority.ACT:
        priority = Priority.ATTEND
        parts.append("match only possible: confirm the product and version first")
    return Decision(priority, f"{priority.value}: " + "; ".join(parts))
