"""The safe active discovery capability, as the composition root sees it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from imagewarden.contracts.capability import Capability, CommandSpec

if TYPE_CHECKING:
    from imagewarden.catalog.sections import CatalogSection
    from imagewarden.contracts import ReportSection, SectionSource


def _section(source: SectionSource) -> ReportSection | None:
    from imagewarden.discovery.section import discovery_section

    return discovery_section(source.store, source.assets)


def _catalog_sections() -> Sequence[CatalogSection[Any]]:
    from imagewarden.discovery.catalog_data import DISCOVERY_SECTION

    return (DISCOVERY_SECTION,)


CAPABILITY = Capability(
    name="discovery",
    title="Safe active discovery",
    order=40,
    report_section=_section,
    catalog_sections=_catalog_sections,
    commands=(
        CommandSpec(
            "discover",
            "Safe active discovery of DICOM, DICOMweb, HL7 and admin services in a scope.",
            "imagewarden.cli.discover:discover",
        ),
    ),
)
