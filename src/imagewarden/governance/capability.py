"""The governance and culture capability, as the composition root sees it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from imagewarden.contracts.capability import Capability, CommandSpec, Persistence

if TYPE_CHECKING:
    from imagewarden.contracts import FindingProducer, ProducerContext, ReportSection, SectionSource

_CLI = "imagewarden.cli.governance"


def _producers(context: ProducerContext) -> Sequence[FindingProducer]:
    from imagewarden.governance.producer import governance_producer

    producer = governance_producer(context.store, context.catalog)
    return () if producer is None else (producer,)


def _section(source: SectionSource) -> ReportSection | None:
    from imagewarden.governance.section import governance_section

    return governance_section(source)


def _board(source: SectionSource) -> ReportSection | None:
    from imagewarden.governance.board import board_section

    return board_section(source)


CAPABILITY = Capability(
    name="governance",
    title="Governance and culture",
    order=20,
    producers=_producers,
    report_section=_section,
    board_section=_board,
    templates="imagewarden.governance",
    commands=(
        CommandSpec(
            "checklist",
            "Leadership checklists: list, answer, import, export.",
            f"{_CLI}:checklist_app",
        ),
        CommandSpec(
            "crosswalk",
            "Coverage and scores per framework (CSF 2.0, HPH CPG, HICP, HIPAA).",
            f"{_CLI}:crosswalk",
        ),
        CommandSpec(
            "maturity", "CSF tiers per function and site, with history.", f"{_CLI}:maturity_command"
        ),
        CommandSpec("culture", "Training and phishing-simulation results.", f"{_CLI}:culture_app"),
        CommandSpec(
            "poam",
            "Plan of action and milestones: sync, list, edit an item, quarterly review.",
            f"{_CLI}:poam_app",
        ),
        CommandSpec(
            "oscal",
            "OSCAL assessment results and POA&M JSON.",
            f"{_CLI}:export_oscal",
            parent="export",
        ),
        CommandSpec(
            "defectdojo",
            "DefectDojo generic findings import.",
            f"{_CLI}:export_defectdojo",
            parent="export",
        ),
    ),
    persistence=Persistence("imagewarden.governance.store.migrations", "governance"),
)
