"""JSON inventories: sites with facts, assets with services and facts, and their errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from imagewarden.catalog import Catalog
from imagewarden.inventory import ImportContext
from imagewarden.model import (
    AssetType,
    Criticality,
    Observation,
    ObservationSource,
    Service,
    ServiceProtocol,
    Site,
    SubjectKind,
)

from .conftest import OBSERVED_AT
from .util import facts, fail, load, only

DOCUMENT = """\
{
  "format": "imagewarden-inventory/1",
  "sites": [
    {"id": "north", "name": "North Hospital", "kind": "hospital", "region": "NE",
     "facts": {"site.downtime_plan": true, "last downtime drill": "2026-05-01"}},
    {"name": "East Imaging Center", "kind": "imaging_center", "imaging_ir_playbook": "no",
     "x_contact": "ignored"}
  ],
  "assets": [
    {
      "id": "CT-01", "site": "North Hospital", "name": "CT 1", "type": "Computed Tomography",
      "manufacturer": "GEHC", "model": "Revolution EVO",
      "os": "Microsoft Windows 7 Professional", "os_version": "SP1",
      "ip_addresses": ["10.1.0.5", "2001:db8::0:5"], "criticality": 4, "managed": true,
      "end_of_support": "2027-01-31", "stores phi": true,
      "services": [
        {"protocol": "dicom", "port": 104, "ae_title": "CT01", "tls": false},
        {"protocol": "dicom-tls", "port": 2762},
        {"protocol": "https", "port": 443, "admin_interface": "yes", "auth_required": true,
         "internet_exposed": null}
      ],
      "ae_title": "CT01_TLS",
      "facts": {"remote_access.mode": "24x7", "patch.missing_vendor_patches": 2,
                "backup_covered": "unknown"},
      "notes": "ignored"
    },
    {"id": 42, "site": "east-imaging-center", "name": "AI triage", "type": "ai",
     "services": "https:443/internet", "ai deployment": "cloud",
     "ai_sends_identifiable_images": 0}
  ]
}
"""


def test_json_with_sites_site_facts_services_and_facts(
    tmp_path: Path, context: ImportContext, catalog: Catalog
) -> None:
    inventory = load(tmp_path, "enterprise.json", DOCUMENT, context)

    assert inventory.sites == (
        Site("north", "North Hospital", "hospital", "NE"),
        Site("east-imaging-center", "East Imaging Center", "imaging_center", ""),
    )
    ct, ai = inventory.assets
    ge = catalog.products.vendor("GEHC")
    assert ge is not None and ct.vendor == ge.vendor
    assert ct.os == "Windows 7" and ct.os_version == "SP1"
    assert ct.type is AssetType.CT and ct.site_id == "north"
    assert ct.ip_addresses == ("10.1.0.5", "2001:db8::5")
    assert ct.criticality is Criticality.CRITICAL
    assert ct.end_of_support == dt.date(2027, 1, 31)
    assert ct.services == (
        Service(ServiceProtocol.DICOM, 104, tls=False, ae_title="CT01"),
        Service(ServiceProtocol.DICOM, 2762, tls=True, ae_title="CT01_TLS"),
        Service(ServiceProtocol.HTTPS, 443, auth_required=True, admin_interface=True),
    )
    assert facts(inventory, "CT-01") == {
        "phi.stored": True,
        "remote_access.mode": "always_on",
        "patch.missing_vendor_patches": 2,
    }
    assert ai.id == "42" and ai.site_id == "east-imaging-center"
    assert ai.type is AssetType.AI_APPLICATION
    assert ai.services == (Service(ServiceProtocol.HTTPS, 443, internet_exposed=True),)
    assert facts(inventory, "42") == {
        "ai.deployment": "cloud",
        "ai.sends_identifiable_images": False,
    }

    site_observations = [o for o in inventory.observations if o.subject_kind is SubjectKind.SITE]
    assert site_observations == [
        Observation(
            SubjectKind.SITE,
            "north",
            "site.downtime_plan",
            True,
            ObservationSource.IMPORTED,
            OBSERVED_AT,
            "inventory:enterprise.json",
        ),
        Observation(
            SubjectKind.SITE,
            "north",
            "site.last_downtime_drill",
            dt.date(2026, 5, 1),
            ObservationSource.IMPORTED,
            OBSERVED_AT,
            "inventory:enterprise.json",
        ),
        Observation(
            SubjectKind.SITE,
            "east-imaging-center",
            "site.imaging_ir_playbook",
            False,
            ObservationSource.IMPORTED,
            OBSERVED_AT,
            "inventory:enterprise.json",
        ),
    ]


def test_bare_list_of_assets(tmp_path: Path, context: ImportContext) -> None:
    content = json.dumps(
        [
            {"Asset ID": "A", "Site": "Main", "Name": "PACS", "Type": "PACS", "IP": "10.0.0.1"},
            {"id": "B", "site": "Main", "name": "VNA", "type": "vendor neutral archive"},
        ]
    )
    inventory = load(tmp_path, "bare.json", "\ufeff" + content, context)
    assert inventory.sites == (Site("main", "Main"),)
    assert [(a.id, a.type) for a in inventory.assets] == [
        ("A", AssetType.PACS),
        ("B", AssetType.VNA),
    ]


def test_syntax_error_gives_line_and_column(tmp_path: Path, context: ImportContext) -> None:
    content = '{\n  "assets": [\n    {"id": "A", "site": "S",}\n  ]\n}\n'
    problem = only(fail(tmp_path, "syntax.json", content, context))
    assert (problem.location.line, problem.location.column) == (3, 29)
    assert problem.message == "invalid JSON: Expecting property name enclosed in double quotes"
    assert "comma" in problem.hint


def test_semantic_errors_give_path_line_and_column(tmp_path: Path, context: ImportContext) -> None:
    content = (
        "{\n"
        '  "assets": [\n'
        '    {"id": "A", "site": "S", "name": "N", "type": "ct"},\n'
        '    {"id": "B", "site": "S", "name": "N",\n'
        '     "type": "CTT", "ip": "10.0.0.300",\n'
        '     "facts": {"phi.stored": "maybe"},\n'
        '     "services": [{"protocol": "dicom", "port": 104, "ae_title": "A\\\\B"}]}\n'
        "  ]\n"
        "}\n"
    )
    error = fail(tmp_path, "semantic.json", content, context)
    assert [
        (p.location.line, p.location.column, p.location.field, p.message) for p in error.problems
    ] == [
        (5, 14, "assets[1].type", "unknown asset type 'CTT'; did you mean 'ct'?"),
        (5, 27, "assets[1].ip", "invalid IP address '10.0.0.300'"),
        (6, 30, 'assets[1].facts["phi.stored"]', "expected yes or no, got 'maybe'"),
        (
            7,
            66,
            "assets[1].services[0].ae_title",
            "AE title 'A\\\\B' contains a backslash",
        ),
    ]
    assert str(error).splitlines()[0] == (
        f"{tmp_path / 'semantic.json'}:5:14 (assets[1].type): unknown asset type 'CTT'; "
        "did you mean 'ct'? (accepted: ct, mr, us, dx, cr, mg, nm, pt, xa, rf, dexa, "
        "acquisition_workstation, pacs, vna, ris, reporting, viewer, ai_application, "
        "ai_orchestrator, cloud_service, remote_access, integration_engine, network_device, "
        "unknown)"
    )


def test_missing_required_key_points_at_the_asset(tmp_path: Path, context: ImportContext) -> None:
    content = '[\n  {"id": "A", "site": "S", "name": "N"}\n]\n'
    problem = only(fail(tmp_path, "missing.json", content, context))
    assert (problem.location.line, problem.location.column, problem.location.field) == (
        2,
        3,
        "[0]",
    )
    assert problem.message == "asset type is missing or empty"


def test_unknown_keys_suggest_the_closest(tmp_path: Path, context: ImportContext) -> None:
    content = json.dumps(
        {
            "format": "imagewarden-inventory/1",
            "asets": [],
            "assets": [
                {
                    "id": "A",
                    "site": "S",
                    "name": "N",
                    "type": "ct",
                    "vendr": "GE",
                    "facts": {"phi.stord": True},
                    "services": [{"protocol": "dicom", "prot": 104}],
                }
            ],
        },
        indent=2,
    )
    messages = [p.message for p in fail(tmp_path, "keys.json", content, context).problems]
    assert messages == [
        "unknown top-level key 'asets'; did you mean 'assets'?",
        "unknown asset key 'vendr'; did you mean 'vendor'?",
        "unknown asset fact key 'phi.stord'; did you mean 'phi_stored'?",
        "service has no 'port'",
        "unknown service key 'prot'; did you mean 'port'?",
    ]


def test_unknown_site_when_sites_are_declared(tmp_path: Path, context: ImportContext) -> None:
    content = json.dumps(
        {
            "sites": [{"id": "north", "name": "North Hospital"}],
            "assets": [{"id": "A", "site": "North Hospitl", "name": "N", "type": "ct"}],
        }
    )
    problem = only(fail(tmp_path, "site.json", content, context))
    assert problem.location.field == "assets[0].site"
    assert problem.message == "unknown site 'North Hospitl'; did you mean 'North Hospital'?"
    assert problem.hint.endswith("'sites': north")


def test_duplicate_site_id(tmp_path: Path, context: ImportContext) -> None:
    content = json.dumps(
        {
            "sites": [{"id": "n", "name": "North"}, {"id": "n", "name": "Other"}],
            "assets": [{"id": "A", "site": "n", "name": "N", "type": "ct"}],
        }
    )
    problem = only(fail(tmp_path, "sites.json", content, context))
    assert (problem.location.field, problem.message) == ("sites[1]", "duplicate site id 'n'")


def test_repeated_key_in_an_object(tmp_path: Path, context: ImportContext) -> None:
    content = '[\n  {"id": "A", "site": "S", "name": "N",\n   "type": "ct", "type": "mr"}\n]\n'
    problem = only(fail(tmp_path, "repeat.json", content, context))
    assert (problem.location.line, problem.location.column, problem.location.field) == (
        3,
        18,
        "[0].type",
    )
    assert problem.message == "key 'type' appears more than once in the same object"


def test_same_column_under_two_keys(tmp_path: Path, context: ImportContext) -> None:
    content = json.dumps(
        [
            {
                "id": "A",
                "site": "S",
                "name": "N",
                "type": "ct",
                "phi": True,
                "facts": {"phi.stored": False},
            }
        ]
    )
    problem = only(fail(tmp_path, "twice.json", content, context))
    assert problem.location.field == '[0].facts["phi.stored"]'
    assert problem.message == "asset fact 'phi.stored' is given twice, also at [0].phi"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('"just text"', "expected an object or a list of assets, got 'just text'"),
        (
            '{"format": "imagewarden-inventory/9", "assets": []}',
            "unsupported format 'imagewarden-inventory/9'",
        ),
        ('{"sites": []}', "no 'assets' list"),
        ('{"assets": {"id": "A"}}', "expected a list of assets, got an object"),
        ('{"assets": []}', "no assets: the asset list is empty"),
        ("[]", "no assets: the asset list is empty"),
        ('["A"]', "expected an asset object, got 'A'"),
        (
            '[{"id": "A", "site": "S", "name": "N", "type": "ct", "software_version": 3.1}]',
            "expected text, got 3.1",
        ),
        (
            '[{"id": "A", "site": "S", "name": "N", "type": "ct", "phi": NaN}]',
            "expected yes or no, got NaN",
        ),
        (
            '[{"id": "A", "site": "S", "name": "N", "type": "ct", "facts": []}]',
            "expected an object of facts, got a list",
        ),
        (
            '[{"id": "A", "site": "S", "name": "N", "type": "ct",'
            ' "services": [{"protocol": "https", "port": 443, "ae_title": "X"}]}]',
            "AE title on a https service",
        ),
        (
            '[{"id": "A", "site": "S", "name": "N", "type": "ct",'
            ' "services": [{"protocol": "dicom-tls", "port": 2762, "tls": false}]}]',
            "'dicom-tls' service with tls false",
        ),
        (
            '[{"id": "A", "site": "S", "name": "N", "type": true}]',
            "expected the asset type as text, got true",
        ),
    ],
)
def test_structure_errors(
    tmp_path: Path, context: ImportContext, content: str, message: str
) -> None:
    problem = only(fail(tmp_path, "structure.json", content, context))
    assert problem.message == message
    assert problem.location.line == 1


def test_empty_and_blank_json(tmp_path: Path, context: ImportContext) -> None:
    assert only(fail(tmp_path, "empty.json", b"", context)).message == "file is empty"
    assert only(fail(tmp_path, "blank.json", "  \n", context)).message == "file is empty"


def test_json_not_utf8(tmp_path: Path, context: ImportContext) -> None:
    content = '[\n {"id": "A", "site": "Hôpital", "name": "N", "type": "ct"}\n]'.encode("cp1252")
    problem = only(fail(tmp_path, "latin.json", content, context))
    offset = content.index(b"\xf4")
    assert (problem.location.line, problem.location.column) == (2, 24)
    assert problem.message.startswith(f"not valid UTF-8: byte 0xF4 at byte offset {offset}")


def test_json_binary(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "binary.json", b"\x00\x01\x02garbage", context))
    assert "binary" in problem.message


def test_deeply_nested_json(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "deep.json", "[" * 100_000 + "]" * 100_000, context))
    assert problem.message == "invalid JSON: nested too deeply"


def test_json_nul_byte_after_the_start(tmp_path: Path, context: ImportContext) -> None:
    content = "[\n" + " " * 10_000 + '\n {"id": "A\x00"}]'
    problem = only(fail(tmp_path, "nul.json", content.encode(), context))
    assert (problem.location.line, problem.location.column) == (3, 11)
    assert problem.message == "contains a NUL byte"
