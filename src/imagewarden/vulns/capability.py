"""The vulnerability intelligence capability, as the composition root sees it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from imagewarden.contracts.capability import Capability, CommandSpec, Persistence

if TYPE_CHECKING:
    from imagewarden.contracts import FindingProducer, ProducerContext, ReportSection, SectionSource


def _producers(context: ProducerContext) -> Sequence[FindingProducer]:
    from imagewarden.vulns.producer import vuln_producer

    producer = vuln_producer(context.store, context.catalog)
    return () if producer is None else (producer,)


def _section(source: SectionSource) -> ReportSection | None:
    from imagewarden.vulns.details import VULN_CHECKS
    from imagewarden.vulns.report_section import vulnerabilities_section

    # The database selects the CVE findings: the section reads no other finding.
    cves = source.findings.only(checks=VULN_CHECKS)
    return vulnerabilities_section(cves, source.sites, source.assets)


CAPABILITY = Capability(
    name="vulns",
    title="Vulnerability intelligence",
    order=10,
    producers=_producers,
    report_section=_section,
    templates="imagewarden.vulns",
    commands=(
        CommandSpec(
            "feeds", "Import and update vulnerability feeds.", "imagewarden.cli.vulns:feeds_app"
        ),
        CommandSpec(
            "vulns", "Vulnerabilities matched to assets.", "imagewarden.cli.vulns:vulns_app"
        ),
        CommandSpec(
            "sbom",
            "CycloneDX SBOM components of an asset.",
            "imagewarden.cli.vulns:import_sbom",
            parent="import",
        ),
        CommandSpec(
            "mds2",
            "MDS2 2019 form answers as asset facts.",
            "imagewarden.cli.vulns:import_mds2",
            parent="import",
        ),
        CommandSpec(
            "export-vex",
            "Triage decisions on CVE findings as OpenVEX or CycloneDX VEX.",
            "imagewarden.cli.vulns:export_vex",
            parent="findings",
        ),
    ),
    persistence=Persistence("imagewarden.vulns.store.migrations", "vulns"),
)
