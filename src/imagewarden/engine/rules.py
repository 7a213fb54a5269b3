"""The catalog's checks as a finding producer.

Each check is prepared once (its condition compiled, its evidence names fixed) and the checks
that apply to an asset type or a service protocol are found once per type, not per subject:
an assessment of 50,000 assets tests millions of (check, subject) pairs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from imagewarden.catalog import Catalog
from imagewarden.contracts import EnterpriseView
from imagewarden.engine.conditions import Test, compile_condition
from imagewarden.engine.redaction import evidence_of
from imagewarden.engine.risk import ScoredFacts, score_of, scored_facts
from imagewarden.model import (
    AssetType,
    Check,
    FactValue,
    Finding,
    ObservedFinding,
    ServiceProtocol,
    SubjectKind,
    fingerprints_of,
)

_NO_EXTRA: Mapping[str, Any] = {}
_NO_FACTS: Mapping[str, FactValue] = {}


class _Rule:
    """One check, ready to test and to describe a subject it matches."""

    __slots__ = ("check", "evidence", "fingerprints", "holds")

    def __init__(self, check: Check) -> None:
        assert check.when is not None  # guaranteed by the schema for "rules" checks
        self.check = check
        self.holds: Test = compile_condition(check.when)
        self.evidence = evidence_of([*sorted(check.when.facts()), *check.evidence])
        self.fingerprints = {kind: fingerprints_of(check.id, kind) for kind in SubjectKind}

    def applies_to(self, asset_type: AssetType) -> bool:
        scope = self.check.applies_to
        if scope.asset_types and asset_type not in scope.asset_types:
            return False
        return not (scope.categories and asset_type.category not in scope.categories)

    def observe(
        self,
        kind: SubjectKind,
        subject_id: str,
        site_id: str,
        asset_id: str | None,
        facts: Mapping[str, FactValue],
        scored: ScoredFacts,
    ) -> ObservedFinding:
        check = self.check
        return ObservedFinding(
            self.fingerprints[kind](subject_id),
            check.id,
            kind,
            subject_id,
            site_id,
            asset_id,
            check.title,
            check.severity,
            score_of(check, scored, kind),
            self.evidence(facts),
            check.safeguards,
            _NO_EXTRA,
        )


class CatalogRules:
    """Evaluates every catalog check against every subject it applies to."""

    name = "catalog-rules"

    def __init__(self, catalog: Catalog) -> None:
        self.checks: tuple[Check, ...] = tuple(
            c for c in catalog.checks.values() if c.producer == "rules"
        )
        rules = [_Rule(check) for check in self.checks]
        self._rules = {
            kind: tuple(r for r in rules if r.check.applies_to.subject is kind)
            for kind in SubjectKind
        }
        self._for_asset: dict[AssetType, tuple[_Rule, ...]] = {}
        self._for_service: dict[tuple[AssetType, ServiceProtocol], tuple[_Rule, ...]] = {}

    def _asset_rules(self, asset_type: AssetType) -> tuple[_Rule, ...]:
        found = self._for_asset.get(asset_type)
        if found is None:
            rules = self._rules[SubjectKind.ASSET]
            found = self._for_asset[asset_type] = tuple(
                r for r in rules if r.applies_to(asset_type)
            )
        return found

    def _service_rules(self, asset_type: AssetType, protocol: ServiceProtocol) -> tuple[_Rule, ...]:
        found = self._for_service.get((asset_type, protocol))
        if found is None:
            found = tuple(
                r
                for r in self._rules[SubjectKind.SERVICE]
                if (not r.check.applies_to.protocols or protocol in r.check.applies_to.protocols)
                and r.applies_to(asset_type)
            )
            self._for_service[(asset_type, protocol)] = found
        return found

    def produce(self, view: EnterpriseView) -> Iterator[Finding]:
        """Findings of every catalog check on every site, asset and service."""
        for observed in self.observe(view):
            yield observed.finding()

    def observe(self, view: EnterpriseView) -> Iterator[ObservedFinding]:
        """What ``produce`` finds, as tuples (the assessment's fast path)."""
        for rule in self._rules[SubjectKind.SITE]:
            for site_id, facts in view.site_facts.items():
                if rule.holds(facts):
                    scored = scored_facts(facts)
                    yield rule.observe(SubjectKind.SITE, site_id, site_id, None, facts, scored)
        yield from self._assets(view)

    def _assets(self, view: EnterpriseView) -> Iterator[ObservedFinding]:
        asset_kind, service_kind = SubjectKind.ASSET, SubjectKind.SERVICE
        site_facts, asset_facts, service_facts = (
            view.site_facts,
            view.asset_facts,
            view.service_facts,
        )
        for asset in view.assets.values():
            asset_id, site_id = asset.id, asset.site_id
            # One merged dict per subject: lookups in a plain dict are what the checks do most.
            facts = {**site_facts.get(site_id, _NO_FACTS), **asset_facts[asset_id]}
            scored: ScoredFacts | None = None
            for rule in self._asset_rules(asset.type):
                if rule.holds(facts):
                    scored = scored or scored_facts(facts)
                    yield rule.observe(asset_kind, asset_id, site_id, asset_id, facts, scored)
            for service in asset.services:
                rules = self._service_rules(asset.type, service.protocol)
                if not rules:
                    continue
                key = service.key(asset_id)
                merged = {**facts, **service_facts[key]}
                scored = None
                for rule in rules:
                    if rule.holds(merged):
                        scored = scored or scored_facts(merged)
                        yield rule.observe(service_kind, key, site_id, asset_id, merged, scored)
