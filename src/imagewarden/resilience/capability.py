"""The respond-and-recover capability, as the composition root sees it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from imagewarden.contracts.capability import Capability, CommandSpec, Persistence

if TYPE_CHECKING:
    from imagewarden.catalog.sections import CatalogSection
    from imagewarden.contracts import (
        FindingProducer,
        ImprovementAction,
        ProducerContext,
        ReportSection,
        SectionSource,
    )
    from imagewarden.store import Store

_CLI = "imagewarden.cli.resilience"


def _producers(context: ProducerContext) -> Sequence[FindingProducer]:
    from imagewarden.resilience.producer import resilience_producer

    producer = resilience_producer(context.store, context.catalog)
    return () if producer is None else (producer,)


def _section(source: SectionSource) -> ReportSection | None:
    from imagewarden.resilience.section import resilience_section

    return resilience_section(source)


def _catalog_sections() -> Sequence[CatalogSection[Any]]:
    from imagewarden.resilience.data import RESILIENCE

    return (RESILIENCE,)


def _plan_items(store: Store) -> Iterable[ImprovementAction]:
    from imagewarden.resilience.drills import improvement_actions

    return improvement_actions(store)


CAPABILITY = Capability(
    name="resilience",
    title="Respond and recover",
    order=30,
    producers=_producers,
    report_section=_section,
    templates="imagewarden.resilience",
    commands=(
        CommandSpec(
            "backup",
            "Verify DICOM backups and test restores.",
            "imagewarden.cli.backup:backup_app",
        ),
        CommandSpec("recovery", "Plan the restore of imaging services.", f"{_CLI}:recovery_app"),
        CommandSpec("ir", "Incident response team and playbooks.", f"{_CLI}:ir_app"),
        CommandSpec("drill", "Downtime drills and after-action reports.", f"{_CLI}:drill_app"),
        CommandSpec("tabletop", "Tabletop exercise packages.", f"{_CLI}:tabletop_app"),
    ),
    catalog_sections=_catalog_sections,
    persistence=Persistence("imagewarden.resilience.store.migrations", "resilience"),
    plan_items=_plan_items,
)
