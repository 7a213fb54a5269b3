"""Report sections contributed by capabilities (vulnerabilities, resilience, governance, ...).

A capability adds a factory to ``FACTORIES``. The factory reads the store and returns a
``ReportSection`` (or None when it has nothing to show). The HTML report renders each section
with its partial template from ``report/templates/sections/``, after the built-in sections;
the JSON export includes each section's data under ``sections.<key>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagewarden.catalog import Catalog
    from imagewarden.store import Store


@dataclass(frozen=True)
class ReportSection:
    key: str
    """Stable identifier, used as the HTML anchor and the JSON key."""
    title: str
    template: str
    """Partial template file name under report/templates/sections/."""
    data: Mapping[str, Any]
    """JSON-ready data the partial renders (available to it as ``data``)."""


SectionFactory = Callable[["Store", "Catalog"], ReportSection | None]


def _vulnerabilities(store: Store, catalog: Catalog) -> ReportSection | None:
    # Imported here: the vulnerabilities capability builds on this module.
    from imagewarden.vulns.report_section import vulnerabilities_section

    return vulnerabilities_section(store, catalog)


def _governance(store: Store, catalog: Catalog) -> ReportSection | None:
    # Imported here: the governance package reads the store and the report's charts.
    from imagewarden.governance.section import governance_section

    return governance_section(store, catalog)


def _resilience(store: Store, catalog: Catalog) -> ReportSection | None:
    # Imported here: the resilience package reads the store and builds on this module.
    from imagewarden.resilience.section import resilience_section

    return resilience_section(store, catalog)


def _discovery(store: Store, catalog: Catalog) -> ReportSection | None:
    # Imported here: the discovery capability builds on this module.
    from imagewarden.discovery.section import discovery_section

    return discovery_section(store, catalog)


FACTORIES: list[SectionFactory] = [_vulnerabilities, _governance, _resilience, _discovery]


def sections_for(store: Store, catalog: Catalog) -> tuple[ReportSection, ...]:
    made = (factory(store, catalog) for factory in FACTORIES)
    return tuple(section for section in made if section is not None)
