"""The passive traffic analysis capability, as the composition root sees it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from imagewarden.contracts.capability import Capability, CommandSpec, Persistence

if TYPE_CHECKING:
    from imagewarden.contracts import (
        FindingProducer,
        ProducerContext,
        ReportSection,
        SectionSource,
    )

_CLI = "imagewarden.cli.traffic"


def _producers(context: ProducerContext) -> Sequence[FindingProducer]:
    from imagewarden.traffic.producer import traffic_producer

    producer = traffic_producer(context.store, context.catalog)
    return () if producer is None else (producer,)


def _section(source: SectionSource) -> ReportSection | None:
    from imagewarden.traffic.section import traffic_section

    return traffic_section(source)


CAPABILITY = Capability(
    name="traffic",
    title="Passive traffic analysis",
    order=45,
    producers=_producers,
    report_section=_section,
    templates="imagewarden.traffic",
    commands=(
        CommandSpec(
            "traffic",
            "Analyse packet captures: DICOM, HL7, DICOMweb and TLS flows (passive).",
            f"{_CLI}:traffic_app",
        ),
        CommandSpec(
            "segmentation",
            "Least-privilege segmentation plan from observed flows (YAML, nftables, Cisco).",
            f"{_CLI}:segmentation_app",
        ),
    ),
    persistence=Persistence("imagewarden.traffic.store.migrations", "traffic"),
)
