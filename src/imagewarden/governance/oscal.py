"""OSCAL JSON exports: assessment results (findings) and plan of action and milestones.

The documents follow the NIST OSCAL JSON schemas (``oscal-version`` below; the tests validate
every export against NIST's published schema files). UUIDs are derived from stable ids
(uuid5), so exporting twice gives the same identifiers and a consumer can track items across
exports. Imaging-specific facts ride in ``props`` under the namespace ``NS``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from imagewarden.catalog import Catalog
from imagewarden.governance.interface import PlanItem, PlanSource
from imagewarden.model import Finding, FindingStatus
from imagewarden.render.atomic import write_text_atomic

OSCAL_VERSION = "1.2.3"
"""The version of the NIST OSCAL schemas the exports are validated against."""
NS = "urn:imagewarden:oscal"
_NAMESPACE = uuid.UUID("6c1d7f57-1f0e-4d55-9a37-3b6f0c2b6f61")  # fixed: keeps uuid5 stable
_TOKEN = re.compile(r"[^A-Za-z0-9_.\-]")


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, "\x1f".join(parts)))


def _ts(value: dt.datetime | dt.date) -> str:
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(), dt.UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(value: object) -> str:
    """OSCAL strings may not start or end with white space, nor be empty."""
    return " ".join(str(value).split()) or "-"


def _token(value: str) -> str:
    token = _TOKEN.sub("-", value).strip("-.") or "item"
    return token if token[0].isalpha() or token[0] == "_" else f"x{token}"


def _prop(name: str, value: object) -> dict[str, str]:
    return {"name": name, "ns": NS, "value": _text(value)}


def _metadata(title: str, now: dt.datetime, version: str) -> dict[str, Any]:
    return {
        "title": title,
        "last-modified": _ts(now),
        "version": version,
        "oscal-version": OSCAL_VERSION,
    }


def _observation(f: Finding, catalog: Catalog, now: dt.datetime) -> dict[str, Any]:
    check = catalog.checks.get(f.check_id)
    evidence = "; ".join(f"{k} = {v}" for k, v in sorted(f.evidence.items())) or "none recorded"
    props = [
        _prop("finding-id", f.id),
        _prop("check", f.check_id),
        _prop("site", f.site_id),
        _prop("severity", f.severity.value),
        _prop("risk-score", f.risk.score),
    ]
    if f.asset_id:
        props.append(_prop("asset", f.asset_id))
    return {
        "uuid": _uuid("observation", f.id),
        "title": _text(f.title),
        "description": _text(check.why if check else f.title),
        "props": props,
        "methods": ["TEST"],
        "types": ["finding"],
        "collected": _ts(f.last_seen or now),
        "remarks": _text(f"Evidence: {evidence}"),
    }


def _risk(f: Finding, catalog: Catalog, item: PlanItem | None, now: dt.datetime) -> dict[str, Any]:
    check = catalog.checks.get(f.check_id)
    status = "deviation-approved" if f.status is FindingStatus.ACCEPTED else "open"
    risk: dict[str, Any] = {
        "uuid": _uuid("risk", f.id),
        "title": _text(f.title),
        "description": _text(check.why if check else f.title),
        "statement": _text(
            f"Severity {f.severity.value}, risk score {f.risk.score}/100: "
            + ", ".join(f"{x.name} {x.level}" for x in f.risk.factors)
        ),
        "props": [_prop("severity", f.severity.value), _prop("risk-score", f.risk.score)],
        "status": status,
    }
    remediations = []
    for sg_id in f.safeguards:
        sg = catalog.safeguards.get(sg_id)
        if sg is None:
            continue
        remediation: dict[str, Any] = {
            "uuid": _uuid("remediation", f.id, sg_id),
            "lifecycle": "planned" if item is not None else "recommendation",
            "title": _text(sg.title),
            "description": _text(sg.description),
            "props": [_prop("safeguard", sg_id), _prop("layer", sg.layer.value)],
        }
        if item is not None and item.due_on is not None and sg_id == f.safeguards[0]:
            remediation["tasks"] = [
                {
                    "uuid": _uuid("task", item.id),
                    "type": "milestone",
                    "title": _text(item.milestone),
                    "timing": {"on-date": {"date": _ts(item.due_on)}},
                }
            ]
        remediations.append(remediation)
    if remediations:
        risk["remediations"] = remediations
    if item is not None and item.due_on is not None:
        risk["deadline"] = _ts(item.due_on)
    return risk


def _target_id(f: Finding, catalog: Catalog) -> str:
    """The CSF 2.0 subcategory the check cites first, else the check's short name."""
    check = catalog.checks.get(f.check_id)
    if check is not None:
        for ref in check.refs:
            if ref.framework == "nist-csf-2.0":
                return _token(ref.id)
    return _token(f.check_id.rsplit(":", 1)[-1])


def _current(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.status in (FindingStatus.OPEN, FindingStatus.ACCEPTED)]


def assessment_results(
    findings: Sequence[Finding],
    catalog: Catalog,
    *,
    title: str,
    started: dt.datetime,
    now: dt.datetime,
    version: str,
) -> dict[str, Any]:
    """One OSCAL assessment-results document with one result: the latest assessment."""
    current = _current(findings)
    result: dict[str, Any] = {
        "uuid": _uuid("result", _ts(started)),
        "title": _text(title),
        "description": "Findings of the latest ImageWarden assessment (open and accepted).",
        "start": _ts(started),
        "end": _ts(now),
        "reviewed-controls": {
            "description": "The ImageWarden catalog checks, mapped to NIST CSF 2.0.",
            "control-selections": [{"include-all": {}}],
        },
    }
    if current:
        result["observations"] = [_observation(f, catalog, now) for f in current]
        result["risks"] = [_risk(f, catalog, None, now) for f in current]
        result["findings"] = [
            {
                "uuid": _uuid("finding", f.id),
                "title": _text(f.title),
                "description": _text(
                    catalog.checks[f.check_id].why if f.check_id in catalog.checks else f.title
                ),
                "props": [_prop("finding-id", f.id), _prop("severity", f.severity.value)],
                "target": {
                    "type": "objective-id",
                    "target-id": _target_id(f, catalog),
                    "status": {"state": "not-satisfied"},
                },
                "related-observations": [{"observation-uuid": _uuid("observation", f.id)}],
                "related-risks": [{"risk-uuid": _uuid("risk", f.id)}],
            }
            for f in current
        ]
    return {
        "assessment-results": {
            "uuid": _uuid("assessment-results", title),
            "metadata": _metadata(title, now, version),
            "import-ap": {"href": "urn:imagewarden:assessment-plan:catalog"},
            "results": [result],
        }
    }


def plan_of_action(
    items: Sequence[PlanItem],
    findings: Sequence[Finding],
    catalog: Catalog,
    *,
    title: str,
    now: dt.datetime,
    version: str,
) -> dict[str, Any]:
    """An OSCAL POA&M: one poam-item per open plan item, with its risk and milestone."""
    by_id: Mapping[str, Finding] = {f.id: f for f in findings}
    active = [i for i in items if i.status.active]
    observations, risks, poam_items = [], [], []
    for item in active:
        props = [
            _prop("plan-item", item.id),
            _prop("status", item.status.value),
            _prop("severity", item.severity.value),
            _prop("owner", item.owner),
            _prop("site", item.site_id),
        ]
        if item.due_on is not None:
            props.append(_prop("due", item.due_on.isoformat()))
        entry: dict[str, Any] = {
            "uuid": _uuid("poam-item", item.id),
            "title": _text(item.title),
            "description": _text(f"{item.milestone} (owner: {item.owner})"),
            "props": props,
        }
        finding = by_id.get(item.source_id) if item.source_kind is PlanSource.FINDING else None
        if finding is not None:
            observations.append(_observation(finding, catalog, now))
            risks.append(_risk(finding, catalog, item, now))
            entry["related-observations"] = [{"observation-uuid": _uuid("observation", finding.id)}]
            entry["related-risks"] = [{"risk-uuid": _uuid("risk", finding.id)}]
        poam_items.append(entry)
    document: dict[str, Any] = {
        "uuid": _uuid("poam", title),
        "metadata": _metadata(title, now, version),
        "system-id": {"identifier-type": "https://ietf.org/rfc/rfc4122", "id": _uuid("system")},
    }
    if observations:
        document["observations"] = observations
    if risks:
        document["risks"] = risks
    document["poam-items"] = poam_items
    return {"plan-of-action-and-milestones": document}


def write_oscal_files(
    findings: Sequence[Finding],
    items: Sequence[PlanItem],
    catalog: Catalog,
    out_dir: Path,
    *,
    title: str,
    started: dt.datetime | None,
    now: dt.datetime | None = None,
) -> list[Path]:
    """Both OSCAL documents (``started``: when the latest assessment began), written
    atomically into ``out_dir`` (created if missing)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    now = now or dt.datetime.now(dt.UTC)
    ar = assessment_results(
        findings,
        catalog,
        title=f"{title}: assessment results",
        started=started or now,
        now=now,
        version=catalog.version,
    )
    pm = plan_of_action(
        items,
        findings,
        catalog,
        title=f"{title}: plan of action",
        now=now,
        version=catalog.version,
    )
    paths = [out_dir / "assessment-results.json", out_dir / "poam.json"]
    for path, doc in zip(paths, (ar, pm), strict=True):
        write_text_atomic(path, json.dumps(doc, indent=2) + "\n")
    return paths
