"""The example capability: one producer, one report section, one command."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from imagewarden.contracts import (
    Capability,
    CommandSpec,
    EnterpriseView,
    FindingProducer,
    ProducerContext,
    ReportSection,
    SectionSource,
)
from imagewarden.model import Finding, RiskScore, Severity, SubjectKind, finding_fingerprint

CHECK = "urn:imagewarden:check:dicom-without-tls"


class ExampleProducer:
    """Flags every asset named 'EXAMPLE-*' (proves producers plug in)."""

    name = "example"

    def produce(self, view: EnterpriseView) -> Iterable[Finding]:
        for asset in view.assets.values():
            if asset.id.startswith("EXAMPLE-"):
                yield Finding(
                    id=finding_fingerprint(CHECK + ":example", SubjectKind.ASSET, asset.id),
                    check_id=CHECK,
                    subject_kind=SubjectKind.ASSET,
                    subject_id=asset.id,
                    site_id=asset.site_id,
                    asset_id=asset.id,
                    title="Example plug-in finding",
                    severity=Severity.LOW,
                    risk=RiskScore(5, ()),
                    evidence={},
                    safeguards=(),
                )


def _producers(_context: ProducerContext) -> Sequence[FindingProducer]:
    return (ExampleProducer(),)


def _section(source: SectionSource) -> ReportSection:
    mine = [f for f in source.findings if f.title == "Example plug-in finding"]
    return ReportSection(
        key="example",
        title="Example plug-in section",
        template="example/section.html.j2",
        data={"count": len(mine)},
    )


CAPABILITY = Capability(
    name="example",
    title="Example capability",
    order=99,
    producers=_producers,
    report_section=_section,
    templates="imagewarden_example",
    commands=(
        CommandSpec(
            "example", "Say hello from the example capability.", "imagewarden_example.cli:hello"
        ),
        CommandSpec(
            "example-crash", "Fail with an internal error.", "imagewarden_example.cli:crash"
        ),
    ),
)
