"""Triage decisions on CVE findings as VEX: OpenVEX 0.2.0 (our own writer) or CycloneDX 1.5
JSON (written with cyclonedx-python-lib).

A false positive says the asset is not affected; an accepted risk says it is affected and
will not be fixed until the acceptance date; a mitigated finding is fixed; an open one is
affected (or under investigation when the match is not confirmed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from imagewarden import __version__
from imagewarden.model import Asset, FindingStatus, Severity
from imagewarden.vulns.details import VulnFinding
from imagewarden.vulns.interface import Confidence

if TYPE_CHECKING:
    from cyclonedx.model.vulnerability import VulnerabilityAnalysis

ASSET_URN = "urn:imagewarden:asset:"
"""Assets are named in VEX documents as ``urn:imagewarden:asset:<asset id>``."""
CYCLONEDX_SPEC = "1.5"


class VexFormat(StrEnum):
    """The VEX formats ``findings export-vex`` writes."""

    OPENVEX = "openvex"
    CYCLONEDX = "cyclonedx"


def _decision_text(row: VulnFinding) -> str:
    finding = row.finding
    if finding.status is FindingStatus.ACCEPTED:
        until = finding.accepted_until.isoformat() if finding.accepted_until else "no date"
        return f"risk accepted until {until}: {finding.status_reason}"
    return finding.status_reason or row.details.priority_reason


def _openvex_statement(row: VulnFinding) -> dict[str, Any]:
    finding = row.finding
    statement: dict[str, Any] = {
        "vulnerability": {"name": row.details.cve},
        "products": [{"@id": f"{ASSET_URN}{finding.asset_id}"}],
    }
    if finding.status is FindingStatus.FALSE_POSITIVE:
        statement |= {
            "status": "not_affected",
            "justification": "component_not_present",
            "impact_statement": finding.status_reason,
        }
    elif finding.status is FindingStatus.MITIGATED:
        statement["status"] = "fixed"
    elif (
        row.details.confidence is not Confidence.CONFIRMED and finding.status is FindingStatus.OPEN
    ):
        statement["status"] = "under_investigation"
    else:
        statement |= {"status": "affected", "action_statement": _decision_text(row)}
    statement["status_notes"] = row.details.match_summary  # how the asset was matched
    return statement


def openvex(rows: Sequence[VulnFinding], now: dt.datetime) -> dict[str, Any]:
    """An OpenVEX 0.2.0 document: one statement per CVE finding."""
    statements = [_openvex_statement(r) for r in rows]
    digest = hashlib.sha256(json.dumps(statements, sort_keys=True).encode()).hexdigest()[:16]
    return {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": f"urn:imagewarden:vex:{digest}",
        "author": "ImageWarden",
        "timestamp": now.isoformat(),
        "version": 1,
        "tooling": f"imagewarden {__version__}",
        "statements": statements,
    }


def _cyclonedx_analysis(row: VulnFinding) -> VulnerabilityAnalysis:
    from cyclonedx.model.impact_analysis import ImpactAnalysisResponse, ImpactAnalysisState
    from cyclonedx.model.vulnerability import VulnerabilityAnalysis

    finding = row.finding
    if finding.status is FindingStatus.FALSE_POSITIVE:
        return VulnerabilityAnalysis(
            state=ImpactAnalysisState.FALSE_POSITIVE, detail=finding.status_reason or None
        )
    if finding.status is FindingStatus.MITIGATED:
        return VulnerabilityAnalysis(state=ImpactAnalysisState.RESOLVED)
    if finding.status is FindingStatus.ACCEPTED:
        return VulnerabilityAnalysis(
            state=ImpactAnalysisState.EXPLOITABLE,
            responses=[ImpactAnalysisResponse.WILL_NOT_FIX],
            detail=_decision_text(row) or None,
        )
    match = row.details.match_summary
    if row.details.confidence is not Confidence.CONFIRMED:
        reason = row.details.match_reason
        return VulnerabilityAnalysis(
            state=ImpactAnalysisState.IN_TRIAGE, detail=f"{match}. {reason}" if reason else match
        )
    decision = _decision_text(row)
    return VulnerabilityAnalysis(
        state=ImpactAnalysisState.EXPLOITABLE,
        detail=f"{decision}. {match}" if decision else match,
    )


def cyclonedx(rows: Sequence[VulnFinding], assets: Sequence[Asset], now: dt.datetime) -> str:
    """A CycloneDX 1.5 JSON VEX document (text): the assets as devices, one vulnerability
    per CVE finding with its analysis and CVSS rating."""
    from cyclonedx.model import XsUri
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.model.contact import OrganizationalEntity
    from cyclonedx.model.vulnerability import (
        BomTarget,
        Vulnerability,
        VulnerabilityRating,
        VulnerabilityScoreSource,
        VulnerabilitySeverity,
        VulnerabilitySource,
    )
    from cyclonedx.output.json import JsonV1Dot5

    severities = {
        Severity.CRITICAL: VulnerabilitySeverity.CRITICAL,
        Severity.HIGH: VulnerabilitySeverity.HIGH,
        Severity.MEDIUM: VulnerabilitySeverity.MEDIUM,
        Severity.LOW: VulnerabilitySeverity.LOW,
        Severity.INFO: VulnerabilitySeverity.INFO,
    }
    bom = Bom()
    bom.metadata.timestamp = now
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="imagewarden", version=__version__)
    )
    used = {r.finding.asset_id for r in rows}
    for asset in assets:
        if asset.id not in used:
            continue
        bom.components.add(
            Component(
                type=ComponentType.DEVICE,
                bom_ref=f"{ASSET_URN}{asset.id}",
                name=asset.name or asset.id,
                supplier=OrganizationalEntity(name=asset.vendor) if asset.vendor else None,
                description=asset.model or None,
                version=asset.software_version or None,
            )
        )
    for row in rows:
        details, finding = row.details, row.finding
        ratings = []
        if details.cvss is not None:
            methods = {
                "2.0": VulnerabilityScoreSource.CVSS_V2,
                "3.0": VulnerabilityScoreSource.CVSS_V3,
                "4.0": VulnerabilityScoreSource.CVSS_V4,
            }
            method = methods.get(details.cvss_version, VulnerabilityScoreSource.CVSS_V3_1)
            ratings.append(
                VulnerabilityRating(
                    score=Decimal(str(details.cvss)),
                    severity=severities[finding.severity],
                    method=method,
                    vector=details.cvss_vector or None,
                )
            )
        bom.vulnerabilities.add(
            Vulnerability(
                bom_ref=finding.id,
                id=details.cve,
                source=VulnerabilitySource(
                    name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{details.cve}")
                ),
                analysis=_cyclonedx_analysis(row),
                affects=[BomTarget(ref=f"{ASSET_URN}{finding.asset_id}")],
                ratings=ratings,
            )
        )
    text: str = JsonV1Dot5(bom).output_as_string(indent=2)
    return text + "\n"
