"""Report sections contributed by capabilities (vulnerabilities, resilience, governance, ...).

A capability adds a factory to ``FACTORIES``. The factory gets a ``SectionSource``: the
store, plus the sites, assets and findings the report has already read from it (read those
rather than the store again: on a large enterprise each read costs a noticeable part of the
report's time budget). It returns a ``ReportSection``, or None when it has nothing to show.
The HTML report renders each section with its partial template from
``report/templates/sections/``, after the built-in sections; the JSON export includes each
section's data under ``sections.<key>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagewarden.catalog import Catalog
    from imagewarden.model import Asset, Finding, Site
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


@dataclass(frozen=True)
class SectionSource:
    """What a section may read."""

    store: Store
    catalog: Catalog
    sites: tuple[Site, ...]
    assets: tuple[Asset, ...]
    findings: tuple[Finding, ...]
    """Every finding of the latest assessment, any status."""


SectionFactory = Callable[[SectionSource], ReportSection | None]


def _vulnerabilities(source: SectionSource) -> ReportSection | None:
    # Imported here: the vulnerabilities capability builds on this module.
    from imagewarden.vulns.report_section import vulnerabilities_section

    return vulnerabilities_section(source.findings, source.sites, source.assets)


def _governance(source: SectionSource) -> ReportSection | None:
    # Imported here: the governance package reads the store and the report's charts.
    from imagewarden.governance.section import governance_section

    return governance_section(source)


def _resilience(source: SectionSource) -> ReportSection | None:
    # Imported here: the resilience package reads the store and builds on this module.
    from imagewarden.resilience.section import resilience_section

    return resilience_section(source)


def _discovery(source: SectionSource) -> ReportSection | None:
    # Imported here: the discovery capability builds on this module.
    from imagewarden.discovery.section import discovery_section

    return discovery_section(source.store, source.assets)


FACTORIES: list[SectionFactory] = [_vulnerabilities, _governance, _resilience, _discovery]


def sections_for(source: SectionSource) -> tuple[ReportSection, ...]:
    made = (factory(source) for factory in FACTORIES)
    return tuple(section for section in made if section is not None)
