"""The finding producers an assessment runs: the composition root of the engine.

Each capability that turns stored observations into findings (catalog rules, the vulnerability
matcher, checklist answers, drill records) adds one factory here. A factory gets the store
(read-only use) and the catalog, and returns a producer, or None when it has nothing to
evaluate (e.g. no feeds imported yet).
"""

from __future__ import annotations

from collections.abc import Callable

from imagewarden.catalog import Catalog
from imagewarden.engine.interface import FindingProducer
from imagewarden.engine.rules import CatalogRules
from imagewarden.store import Store

ProducerFactory = Callable[[Store, Catalog], FindingProducer | None]


def _catalog_rules(_store: Store, catalog: Catalog) -> FindingProducer:
    return CatalogRules(catalog)


def _vulnerabilities(store: Store, catalog: Catalog) -> FindingProducer | None:
    # Imported here: the vulns package builds on engine modules (facts, risk, redaction).
    from imagewarden.vulns.producer import vuln_producer

    return vuln_producer(store, catalog)


def _governance(store: Store, catalog: Catalog) -> FindingProducer | None:
    # Imported here: the governance package builds on engine modules (facts, risk).
    from imagewarden.governance.producer import governance_producer

    return governance_producer(store, catalog)


def _resilience(store: Store, catalog: Catalog) -> FindingProducer | None:
    # Imported here: the resilience package builds on engine modules (facts, risk).
    from imagewarden.resilience.producer import resilience_producer

    return resilience_producer(store, catalog)


FACTORIES: list[ProducerFactory] = [_catalog_rules, _vulnerabilities, _governance, _resilience]


def producers_for(store: Store, catalog: Catalog) -> list[FindingProducer]:
    made = (factory(store, catalog) for factory in FACTORIES)
    return [producer for producer in made if producer is not None]
