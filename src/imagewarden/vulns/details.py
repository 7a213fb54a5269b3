"""The vulnerability details of a CVE finding, typed: written once by the producer into
``Finding.extra`` and read back once, here, by every part that shows or exports them.

``Finding.extra`` is a flat mapping of JSON scalars (stored as JSON with the finding);
``VulnDetails.to_extra`` writes it and ``details_of`` parses it, tolerating findings stored
by older versions (a missing key takes its default, a value of the wrong type is ignored),
so no caller reads ``extra`` by key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from imagewarden.model import Finding
from imagewarden.vulns.interface import Confidence, Priority

CVE_CHECK = "urn:imagewarden:check:known-vulnerability"
"""The check of a CVE finding that is not in CISA KEV (and the fingerprint of every one)."""
KEV_CHECK = "urn:imagewarden:check:known-exploited-vulnerability"
"""The check of a CVE finding that CISA KEV lists as exploited."""
VULN_CHECKS = (KEV_CHECK, CVE_CHECK)
"""The checks whose findings carry ``VulnDetails``."""

E = TypeVar("E", bound=Enum)
ExtraValue = str | int | float | bool
PRIORITY_ORDER = {Priority.ACT: 0, Priority.ATTEND: 1, Priority.TRACK: 2}
"""Most urgent first."""


@dataclass(frozen=True, slots=True)
class VulnDetails:
    """What ImageWarden knows about one CVE on one asset."""

    cve: str
    priority: Priority = Priority.TRACK
    priority_reason: str = ""
    """Why this priority: exploitation, exposure, clinical role and impact, in words."""
    confidence: Confidence = Confidence.POSSIBLE
    match_reason: str = ""
    """How the asset was matched, in words."""
    matched: str = ""
    """The NVD CPE configuration or advisory that matched."""
    compared_model: str = ""
    """What of the asset was compared: its model as imported, its OS or an SBOM component."""
    compared_version: str = ""
    """The asset's version that was compared ('' when unknown)."""
    fixed_version: str = ""
    """The first version no longer affected, when the source gives one."""
    kev: bool = False
    """Listed in CISA's Known Exploited Vulnerabilities catalog."""
    kev_added: str = ""
    kev_due: str = ""
    """The KEV remediation due date (YYYY-MM-DD) for US federal agencies."""
    ransomware: bool = False
    """KEV says it is used in ransomware campaigns."""
    epss: float | None = None
    """FIRST EPSS probability of exploitation in the next 30 days (0..1)."""
    percentile: float | None = None
    cvss: float | None = None
    cvss_version: str = ""
    cvss_vector: str = ""
    description: str = ""

    def to_extra(self) -> dict[str, ExtraValue]:
        """The flat mapping stored as ``Finding.extra`` (keys as earlier versions wrote them)."""
        extra: dict[str, ExtraValue] = {
            "cve": self.cve,
            "kev": self.kev,
            "kev_ransomware": self.ransomware,
            "priority": self.priority.value,
            "priority_reason": self.priority_reason,
            "confidence": self.confidence.value,
            "match_reason": self.match_reason,
        }
        optional: dict[str, ExtraValue | None] = {
            "matched": self.matched,
            "compared_model": self.compared_model,
            "compared_version": self.compared_version,
            "fixed_version": self.fixed_version,
            "cvss": self.cvss,
            "cvss_version": self.cvss_version if self.cvss is not None else "",
            "cvss_vector": self.cvss_vector if self.cvss is not None else "",
            "kev_added": self.kev_added,
            "kev_due": self.kev_due,
            "epss": self.epss,
            "epss_percentile": self.percentile,
            "description": self.description,
        }
        extra |= {k: v for k, v in optional.items() if v is not None and v != ""}
        return extra

    @classmethod
    def from_extra(cls, extra: Mapping[str, ExtraValue]) -> VulnDetails:
        """Parse a stored ``Finding.extra``; unknown or mistyped values take their defaults."""

        def text(key: str) -> str:
            value = extra.get(key)
            return value if isinstance(value, str) else ""

        def number(key: str) -> float | None:
            value = extra.get(key)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return None
            return float(value)

        def flag(key: str) -> bool:
            return extra.get(key) is True

        return cls(
            cve=text("cve"),
            priority=_member(Priority, text("priority"), Priority.TRACK),
            priority_reason=text("priority_reason"),
            confidence=_member(Confidence, text("confidence"), Confidence.POSSIBLE),
            match_reason=text("match_reason"),
            matched=text("matched"),
            compared_model=text("compared_model"),
            compared_version=text("compared_version"),
            fixed_version=text("fixed_version"),
            kev=flag("kev"),
            kev_added=text("kev_added"),
            kev_due=text("kev_due"),
            ransomware=flag("kev_ransomware"),
            epss=number("epss"),
            percentile=number("epss_percentile"),
            cvss=number("cvss"),
            cvss_version=text("cvss_version"),
            cvss_vector=text("cvss_vector"),
            description=text("description"),
        )

    @property
    def urgency(self) -> int:
        """0 for act, 1 attend, 2 track: sorts the most urgent first."""
        return PRIORITY_ORDER[self.priority]

    @property
    def epss_text(self) -> str:
        """EPSS as a percentage ('12.3%'), or '' when unscored."""
        return f"{self.epss:.1%}" if self.epss is not None else ""

    @property
    def compared(self) -> str:
        """What of the asset was compared: 'Vue PACS 12.2.8', 'Vue PACS (version unknown)'."""
        version = self.compared_version or "(version unknown)"
        return f"{self.compared_model} {version}".strip()

    @property
    def match_summary(self) -> str:
        """One line for VEX and listings: confidence, what matched, what was compared, fix."""
        parts = [f"{self.confidence.value} match"]
        if self.matched:
            parts.append(self.matched)
        parts.append(f"compared with asset {self.compared}")
        if self.fixed_version:
            parts.append(f"fixed in {self.fixed_version}")
        return "; ".join(parts)

    @property
    def cvss_text(self) -> str:
        """The CVSS base score ('9.8'), or '' when not scored."""
        return f"{self.cvss:g}" if self.cvss is not None else ""


def _member(kind: type[E], value: str, default: E) -> E:
    try:
        return kind(value)
    except ValueError:
        return default


def is_vuln_finding(finding: Finding) -> bool:
    """A finding raised by the vulnerability matcher."""
    return finding.check_id in VULN_CHECKS


def details_of(finding: Finding) -> VulnDetails:
    """The vulnerability details of a CVE finding."""
    return VulnDetails.from_extra(finding.extra)


@dataclass(frozen=True, slots=True)
class VulnFinding:
    """A CVE finding with its details parsed."""

    finding: Finding
    details: VulnDetails

    @classmethod
    def of(cls, finding: Finding) -> VulnFinding:
        """Pair a finding with its parsed details."""
        return cls(finding, details_of(finding))

    def sort_key(self) -> tuple[int, int, str]:
        """Most urgent first (act, attend, track), then highest risk, then id."""
        return (self.details.urgency, -self.finding.risk.score, self.finding.id)
