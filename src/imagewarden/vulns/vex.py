"""Triage decisions on CVE findings as VEX: OpenVEX 0.2.0 or CycloneDX 1.5 JSON.

A false positive says the asset is not affected; an accepted risk says it is affected and
will not be fixed until the acceptance date; a mitigated finding is fixed; an open one is
affected (or under investigation when the match is not confirmed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any

from imagewarden import __version__
from imagewarden.model import Asset, Finding, FindingStatus

_ASSET_URN = "urn:imagewarden:asset:"


def _cve(finding: Finding) -> str:
    return str(finding.extra.get("cve", ""))


def _decision_text(finding: Finding) -> str:
    if finding.status is FindingStatus.ACCEPTED:
        until = finding.accepted_until.isoformat() if finding.accepted_until else "no date"
        return f"risk accepted until {until}: {finding.status_reason}"
    return finding.status_reason or str(finding.extra.get("priority_reason", ""))


def _openvex_statement(finding: Finding) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "vulnerability": {"name": _cve(finding)},
        "products": [{"@id": f"{_ASSET_URN}{finding.asset_id}"}],
    }
    if finding.status is FindingStatus.FALSE_POSITIVE:
        statement |= {
            "status": "not_affected",
            "justification": "component_not_present",
            "impact_statement": finding.status_reason,
        }
    elif finding.status is FindingStatus.MITIGATED:
        statement["status"] = "fixed"
    elif finding.extra.get("confidence") != "confirmed" and finding.status is FindingStatus.OPEN:
        statement["status"] = "under_investigation"
    else:
        statement |= {"status": "affected", "action_statement": _decision_text(finding)}
    return statement


def openvex(findings: Sequence[Finding], now: dt.datetime) -> dict[str, Any]:
    statements = [_openvex_statement(f) for f in findings]
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


def _cyclonedx_analysis(finding: Finding) -> dict[str, Any]:
    if finding.status is FindingStatus.FALSE_POSITIVE:
        return {"state": "false_positive", "detail": finding.status_reason}
    if finding.status is FindingStatus.MITIGATED:
        return {"state": "resolved"}
    if finding.status is FindingStatus.ACCEPTED:
        return {
            "state": "exploitable",
            "response": ["will_not_fix"],
            "detail": _decision_text(finding),
        }
    if finding.extra.get("confidence") != "confirmed":
        return {"state": "in_triage", "detail": str(finding.extra.get("match_reason", ""))}
    return {"state": "exploitable", "detail": _decision_text(finding)}


def cyclonedx(
    findings: Sequence[Finding], assets: Sequence[Asset], now: dt.datetime
) -> dict[str, Any]:
    used = {f.asset_id for f in findings}
    components = [
        {
            "type": "device",
            "bom-ref": f"{_ASSET_URN}{a.id}",
            "name": a.name,
            "manufacturer": {"name": a.vendor} if a.vendor else None,
            "description": a.model,
            "version": a.software_version or None,
        }
        for a in assets
        if a.id in used
    ]
    vulnerabilities = []
    for f in findings:
        entry: dict[str, Any] = {
            "bom-ref": f.id,
            "id": _cve(f),
            "source": {"name": "NVD", "url": f"https://nvd.nist.gov/vuln/detail/{_cve(f)}"},
            "analysis": _cyclonedx_analysis(f),
            "affects": [{"ref": f"{_ASSET_URN}{f.asset_id}"}],
        }
        cvss = f.extra.get("cvss")
        if isinstance(cvss, int | float):
            method = "CVSSv4" if str(f.extra.get("cvss_version")) == "4.0" else "CVSSv31"
            entry["ratings"] = [{"score": cvss, "severity": f.severity.value, "method": method}]
        vulnerabilities.append(entry)
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": f"urn:uuid:{uuid.uuid4()}",
        "version": 1,
        "metadata": {
            "timestamp": now.isoformat(),
            "tools": {
                "components": [
                    {"type": "application", "name": "imagewarden", "version": __version__}
                ]
            },
        },
        "components": [{k: v for k, v in c.items() if v is not None} for c in components],
        "vulnerabilities": vulnerabilities,
    }
