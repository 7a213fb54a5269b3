"""The catalog's checks as a finding producer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView
from imagewarden.engine.conditions import evaluate
from imagewarden.engine.redaction import redact
from imagewarden.engine.risk import score
from imagewarden.model import Asset, Check, FactValue, Finding, SubjectKind, finding_fingerprint


def _applies_to_asset(check: Check, asset: Asset) -> bool:
    scope = check.applies_to
    if scope.asset_types and asset.type not in scope.asset_types:
        return False
    return not (scope.categories and asset.type.category not in scope.categories)


def _holds(check: Check, facts: Mapping[str, FactValue]) -> bool:
    return check.when is not None and evaluate(check.when, facts)


def _evidence(check: Check, facts: Mapping[str, FactValue]) -> dict[str, FactValue]:
    read = check.when.facts() if check.when is not None else set()
    names = [*sorted(read), *check.evidence]
    return redact({name: facts[name] for name in dict.fromkeys(names) if name in facts})


class CatalogRules:
    """Evaluates every catalog check against every subject it applies to."""

    name = "catalog-rules"

    def __init__(self, catalog: Catalog) -> None:
        self.checks: tuple[Check, ...] = tuple(
            c for c in catalog.checks.values() if c.producer == "rules"
        )

    def _finding(
        self,
        check: Check,
        kind: SubjectKind,
        subject_id: str,
        site_id: str,
        asset_id: str | None,
        facts: Mapping[str, FactValue],
    ) -> Finding:
        return Finding(
            id=finding_fingerprint(check.id, kind, subject_id),
            check_id=check.id,
            subject_kind=kind,
            subject_id=subject_id,
            site_id=site_id,
            asset_id=asset_id,
            title=check.title,
            severity=check.severity,
            risk=score(check, facts, kind),
            evidence=_evidence(check, facts),
            safeguards=check.safeguards,
        )

    def produce(self, view: EnterpriseView) -> Iterator[Finding]:
        """Findings of every catalog check on every site, asset and service."""
        by_kind: dict[SubjectKind, list[Check]] = {kind: [] for kind in SubjectKind}
        for check in self.checks:
            by_kind[check.applies_to.subject].append(check)
        yield from self._sites(view, by_kind[SubjectKind.SITE])
        yield from self._assets(view, by_kind[SubjectKind.ASSET], by_kind[SubjectKind.SERVICE])

    def _sites(self, view: EnterpriseView, checks: Iterable[Check]) -> Iterator[Finding]:
        for check in checks:
            for site_id, facts in view.site_facts.items():
                if _holds(check, facts):
                    yield self._finding(check, SubjectKind.SITE, site_id, site_id, None, facts)

    def _assets(
        self, view: EnterpriseView, asset_checks: list[Check], service_checks: list[Check]
    ) -> Iterator[Finding]:
        for asset in view.assets.values():
            # One merged dict per subject: lookups in a plain dict are what the checks do most.
            facts = {**view.site_facts.get(asset.site_id, {}), **view.asset_facts[asset.id]}
            for check in asset_checks:
                if _applies_to_asset(check, asset) and _holds(check, facts):
                    yield self._finding(
                        check, SubjectKind.ASSET, asset.id, asset.site_id, asset.id, facts
                    )
            for service in asset.services:
                key = service.key(asset.id)
                service_facts = {**facts, **view.service_facts[key]}
                for check in service_checks:
                    protocols = check.applies_to.protocols
                    if protocols and service.protocol not in protocols:
                        continue
                    if _applies_to_asset(check, asset) and _holds(check, service_facts):
                        yield self._finding(
                            check, SubjectKind.SERVICE, key, asset.site_id, asset.id, service_facts
                        )
