"""The vulnerability matcher as a finding producer: one finding per (asset, CVE)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView
from imagewarden.engine import redact, score
from imagewarden.model import (
    Check,
    FactValue,
    Finding,
    RiskFactor,
    RiskScore,
    Severity,
    SubjectKind,
    finding_fingerprint,
)
from imagewarden.store import Store
from imagewarden.store.bulk import no_cyclic_gc
from imagewarden.vulns.details import CVE_CHECK, KEV_CHECK, VulnDetails
from imagewarden.vulns.identities import family_models, identities, model_family
from imagewarden.vulns.interface import EpssScore, Identity, KevEntry, VulnMatch
from imagewarden.vulns.matcher import AssetProducts, Matcher
from imagewarden.vulns.names import product_keys
from imagewarden.vulns.priority import EPSS_LIKELY, EPSS_SOME, decide
from imagewarden.vulns.store.repository import CveInfo, VulnRepository

__all__ = ["CVE_CHECK", "KEV_CHECK", "VulnProducer", "severity_of", "vuln_producer", "vuln_risk"]
_EVIDENCE = (
    "asset.vendor",
    "asset.model",
    "asset.software_version",
    "asset.os",
    "asset.os_version",
)


def severity_of(cvss: float | None, fallback: Severity) -> Severity:
    """The finding's severity from the CVSS base score (the check's own when unscored)."""
    if cvss is None:
        return fallback
    if cvss >= 9.0:
        return Severity.CRITICAL
    if cvss >= 7.0:
        return Severity.HIGH
    if cvss >= 4.0:
        return Severity.MEDIUM
    return Severity.LOW if cvss > 0 else Severity.INFO


def _exploitability(kev: KevEntry | None, epss: EpssScore | None) -> tuple[str, float, str]:
    if kev is not None:
        ransomware = "; used in ransomware campaigns" if kev.ransomware else ""
        return "known exploited", 1.0, f"in CISA KEV since {kev.date_added}{ransomware}"
    if epss is None:
        return "unscored", 0.5, "no EPSS score; assumed medium"
    text = f"EPSS {epss.epss:.1%} (percentile {epss.percentile:.0%})"
    if epss.epss >= EPSS_LIKELY:
        return "likely", 0.8, f"{text}: exploitation likely within 30 days"
    if epss.epss >= EPSS_SOME:
        return "possible", 0.5, text
    return "unlikely", 0.25, text


def vuln_risk(
    check: Check,
    severity: Severity,
    facts: Mapping[str, FactValue],
    kev: KevEntry | None,
    epss: EpssScore | None,
    cvss: float | None = None,
) -> RiskScore:
    """The engine's explainable score, with KEV/EPSS as the exploitability factor."""
    base = score(check.model_copy(update={"severity": severity}), facts)
    level, fraction, reason = _exploitability(kev, epss)
    rated = f"CVSS {cvss:.1f} ({severity.value})" if cvss is not None else "not scored by CVSS"

    def replaced(f: RiskFactor) -> RiskFactor:
        if f.name == "exploitability":
            return RiskFactor(f.name, level, f.weight, round(f.weight * fraction, 1), reason)
        if f.name == "severity":
            return RiskFactor(f.name, f.level, f.weight, f.points, rated)
        return f

    factors = tuple(replaced(f) for f in base.factors)
    total = round(sum(f.points for f in factors))
    return RiskScore(score=max(0, min(100, total)), factors=factors)


def _compared_model(who: Identity | None, model: str) -> str:
    if who is None or who.origin == "model":
        return model
    return f"{who.label or f'{who.vendor}:{who.product}'} ({who.origin})"


class VulnProducer:
    """One finding per (asset, CVE) the matcher finds, enriched with KEV, EPSS and CVSS."""

    name = "vulnerabilities"

    def __init__(self, store: Store, catalog: Catalog) -> None:
        self.vulns = VulnRepository(store)
        self.catalog = catalog

    def matches(self, view: EnterpriseView) -> list[VulnMatch]:
        """Every (asset, CVE) match of the enterprise.

        Bulk work (tens of thousands of entries, hits and matches, none in a cycle): the
        cyclic collector is kept out, as in the assessment that calls this, so a caller
        that holds a large view does not pay for collections that scan it again and again.
        """
        with no_cyclic_gc():
            return self._matches(view)

    def _matches(self, view: EnterpriseView) -> list[VulnMatch]:
        components = self.vulns.components()
        assets = [
            AssetProducts(
                asset_id=asset.id,
                identities=tuple(
                    identities(
                        self.catalog.products,
                        asset,
                        view.asset_facts.get(asset.id, {}),
                        components.get(asset.id, ()),
                    )
                ),
                name_key=product_keys(self.catalog.products, asset.vendor, asset.model),
                version=asset.software_version,
                model=asset.model,
                family=model_family(self.catalog.products, asset.vendor, asset.model),
                family_models=family_models(self.catalog.products, asset.vendor, asset.model),
            )
            for asset in view.assets.values()
        ]
        cpe_keys = {(i.vendor, i.product) for a in assets for i in a.identities if i.product}
        name_keys = {a.name_key for a in assets if a.name_key is not None}
        matcher = Matcher(self.vulns.matches_for(cpe_keys), self.vulns.mentions_for(name_keys))
        return [m for a in assets for m in matcher.match(a)]

    def produce(self, view: EnterpriseView) -> Iterator[Finding]:
        """The CVE findings of the enterprise."""
        found = self.matches(view)
        cves = {m.cve for m in found}
        info = self.vulns.cve_info(cves)
        kev = self.vulns.kev(cves)
        epss = self.vulns.epss(cves)
        for match in found:
            asset = view.assets[match.asset_id]
            facts = view.asset_facts.get(asset.id, {})
            yield self._finding(view, match, asset.site_id, facts, info, kev, epss)

    def _finding(
        self,
        view: EnterpriseView,
        match: VulnMatch,
        site_id: str,
        facts: Mapping[str, FactValue],
        info: Mapping[str, CveInfo],
        kevs: Mapping[str, KevEntry],
        epsss: Mapping[str, EpssScore],
    ) -> Finding:
        cve_info, kev, epss = info.get(match.cve), kevs.get(match.cve), epsss.get(match.cve)
        check = self.catalog.checks[KEV_CHECK if kev is not None else CVE_CHECK]
        cvss = cve_info.cvss_score if cve_info is not None else None
        severity = severity_of(cvss, check.severity)
        asset = view.assets[match.asset_id]
        internet = any(
            view.service_facts.get(s.key(asset.id), {}).get("service.internet_exposed") is True
            for s in asset.services
        )
        decision = decide(
            cvss=cvss,
            kev=kev,
            epss=epss,
            facts=facts,
            internet_service=internet,
            confidence=match.confidence,
        )
        subject = f"{asset.id}#{match.cve}"
        details = VulnDetails(
            cve=match.cve,
            priority=decision.priority,
            priority_reason=decision.reason,
            confidence=match.confidence,
            match_reason=match.reason,
            matched=match.matched,
            compared_model=_compared_model(match.compared, asset.model),
            compared_version=match.compared.version if match.compared else asset.software_version,
            fixed_version=match.fixed_version,
            kev=kev is not None,
            kev_added=kev.date_added if kev is not None else "",
            kev_due=kev.due_date if kev is not None else "",
            ransomware=bool(kev and kev.ransomware),
            epss=epss.epss if epss is not None else None,
            percentile=epss.percentile if epss is not None else None,
            cvss=cvss,
            cvss_version=cve_info.cvss_version if cve_info is not None else "",
            cvss_vector=cve_info.cvss_vector if cve_info is not None else "",
            description=cve_info.description[:500] if cve_info is not None else "",
        )
        evidence = redact({k: facts[k] for k in _EVIDENCE if k in facts})
        return Finding(
            # One id per asset and CVE whichever check raises it, so a triage decision
            # survives the CVE being added to KEV later.
            id=finding_fingerprint(CVE_CHECK, SubjectKind.ASSET, subject),
            check_id=check.id,
            subject_kind=SubjectKind.ASSET,
            subject_id=subject,
            site_id=site_id,
            asset_id=asset.id,
            title=f"{match.cve}: {check.title}",
            severity=severity,
            risk=vuln_risk(check, severity, facts, kev, epss, cvss),
            evidence=evidence,
            safeguards=check.safeguards,
            extra=details.to_extra(),
        )


def vuln_producer(store: Store, catalog: Catalog) -> VulnProducer | None:
    """The engine's factory: nothing to evaluate until a feed was imported."""
    if KEV_CHECK not in catalog.checks or CVE_CHECK not in catalog.checks:
        return None
    if not VulnRepository(store).has_data():
        return None
    return VulnProducer(store, catalog)
