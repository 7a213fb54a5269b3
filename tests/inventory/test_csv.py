"""CSV inventories: good files in all their spellings, and every way a file can be wrong."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from imagewarden.catalog import Catalog
from imagewarden.inventory import ImportContext, InventoryInputError, read_inventory
from imagewarden.inventory.errors import MAX_PROBLEMS
from imagewarden.model import (
    AssetType,
    Criticality,
    NetworkZone,
    ObservationSource,
    Service,
    ServiceProtocol,
    Site,
    SubjectKind,
)

from .conftest import OBSERVED_AT
from .util import HEADER, facts, fail, load, only, write

GOOD = (
    "id,site,name,type,vendor,model,software_version,os,os_version,end_of_support,"
    "ip_addresses,hostname,segment,network_zone,criticality,department,owner,managed,"
    "phi_stored,remote_access_mode,backup_last_tested,patch_missing_vendor_patches,"
    "media_removable_import,ai_deployment,services,ae_title\n"
    "CT-01,Main Campus,CT scanner 1,CT,GEHC,Revolution EVO,23.1,"
    "Microsoft Windows 7 Professional, SP1 ,2026-12-31,10.1.2.3; fd00::0:10,ct1.rad.local,"
    "VLAN 120,imaging,critical,Radiology,Biomed,yes,"
    "yes,24x7,2025-06-30,3,scanned,,dicom:104; https:443/admin,CT01_AE\n"
    "AI-7,Main Campus,Stroke AI,ai application,Acme AI,Detect,2.0,,,,10.1.2.9,,,cloud,,,,no,"
    "no,on demand,,0,blocked,on-prem,,\n"
    "MG-2,East Imaging Center,Mammo 2,mammography,,,,,,,,,,,2,,,,unknown,,,,,,,\n"
)


def test_good_csv_becomes_a_complete_inventory(
    tmp_path: Path, context: ImportContext, catalog: Catalog
) -> None:
    inventory = load(tmp_path, "inventory.csv", GOOD, context)

    assert inventory.sites == (
        Site(id="main-campus", name="Main Campus"),
        Site(id="east-imaging-center", name="East Imaging Center"),
    )
    ct, ai, mg = inventory.assets
    ge = catalog.products.vendor("GEHC")
    assert ge is not None and ct.vendor == ge.vendor != "GEHC"
    # The model is kept as written, with the dictionary's family next to it.
    assert ct.model == "Revolution EVO"
    assert ct.model_family == catalog.products.normalise("GEHC", "Revolution EVO").model
    windows7 = catalog.os_table.lookup("Microsoft Windows 7 Professional")
    assert windows7 is not None and ct.os == windows7.name == "Windows 7"
    assert ct.os_version == "SP1"
    assert ct.type is AssetType.CT and ct.type.is_modality
    assert ct.site_id == "main-campus"
    assert ct.end_of_support == dt.date(2026, 12, 31)
    assert ct.ip_addresses == ("10.1.2.3", "fd00::10")
    assert ct.hostname == "ct1.rad.local" and ct.segment == "VLAN 120"
    assert ct.network_zone is NetworkZone.IMAGING
    assert ct.criticality is Criticality.CRITICAL
    assert (ct.department, ct.owner, ct.managed) == ("Radiology", "Biomed", True)
    assert ct.services == (
        Service(ServiceProtocol.DICOM, 104, ae_title="CT01_AE"),
        Service(ServiceProtocol.HTTPS, 443, admin_interface=True),
    )
    assert facts(inventory, "CT-01") == {
        "phi.stored": True,
        "remote_access.mode": "always_on",
        "backup.last_tested": dt.date(2025, 6, 30),
        "patch.missing_vendor_patches": 3,
        "media.removable_import": "controlled",
    }

    assert ai.type is AssetType.AI_APPLICATION
    assert (ai.vendor, ai.model) == ("Acme AI", "Detect")  # unknown: kept, not guessed
    assert ai.network_zone is NetworkZone.CLOUD and ai.managed is False
    assert ai.criticality is Criticality.MEDIUM  # the default when blank
    assert facts(inventory, "AI-7") == {
        "phi.stored": False,
        "remote_access.mode": "on_demand",
        "patch.missing_vendor_patches": 0,
        "media.removable_import": "blocked",
        "ai.deployment": "on_premises",
    }

    assert mg.type is AssetType.MG and mg.criticality is Criticality.MEDIUM  # "2"
    assert mg.network_zone is NetworkZone.UNKNOWN and mg.services == ()
    assert facts(inventory, "MG-2") == {}  # "unknown" is not "no"

    for observation in inventory.observations:
        assert observation.subject_kind is SubjectKind.ASSET
        assert observation.source is ObservationSource.IMPORTED
        assert observation.observed_at == OBSERVED_AT
        assert observation.collector == "inventory:inventory.csv"


def test_header_aliases_spacing_case_and_bom(tmp_path: Path, context: ImportContext) -> None:
    content = (
        "\ufeff Asset-ID ,LOCATION,Device Name,Modality,Manufacturer,Product,Operating System,"
        "IP.Address,VLAN,Network Zone,Stores PHI,Encrypted at rest,Vendor Remote Access,MFA,"
        "BAA,MDS2,SBOM,Internet Exposed,Default Credentials,Removable Media,AET,Services,"
        "x_comment,Notes\n"
        "US-1,North,Echo 1,echo,Philips,EPIQ 7,Windows 10,192.0.2.7,V12,biomed,Y,n,always on,"
        "TRUE,1,0,yes,no,false,open,US1,dicom:104,anything,free text\n"
    )
    inventory = load(tmp_path, "aliases.csv", content, context)

    (us,) = inventory.assets
    assert us.id == "US-1" and us.site_id == "north" and us.type is AssetType.US
    assert us.network_zone is NetworkZone.MEDICAL_DEVICE and us.segment == "V12"
    assert us.ip_addresses == ("192.0.2.7",)
    assert us.services == (Service(ServiceProtocol.DICOM, 104, ae_title="US1"),)
    assert facts(inventory, "US-1") == {
        "phi.stored": True,
        "phi.encrypted_at_rest": False,
        "remote_access.mode": "always_on",
        "remote_access.mfa": True,
        "contract.baa_on_file": True,
        "docs.mds2_on_file": False,
        "docs.sbom_on_file": True,
        "network.internet_exposed": False,
        "credentials.default_reported": False,
        "media.removable_import": "unchecked",
    }


def test_dotted_fact_names_are_headers_too(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},phi.stored,backup.covered,smb.v1_enabled\nA,S,N,pacs,yes,no,yes\n"
    inventory = load(tmp_path, "dotted.csv", content, context)
    assert facts(inventory, "A") == {
        "phi.stored": True,
        "backup.covered": False,
        "smb.v1_enabled": True,
    }


@pytest.mark.parametrize(
    ("name", "delimiter"), [("semi.csv", ";"), ("tabs.txt", "\t"), ("comma.TXT", ",")]
)
def test_delimiter_is_taken_from_the_header(
    tmp_path: Path, context: ImportContext, name: str, delimiter: str
) -> None:
    rows = [["id", "site", "name", "type", "ip"], ["A", "S", "N, with comma", "CT", "10.0.0.1"]]
    if delimiter == ",":
        rows[1][2] = '"N, with comma"'
    content = "".join(delimiter.join(row) + "\r\n" for row in rows)
    (asset,) = load(tmp_path, name, content, context).assets
    assert asset.name == "N, with comma" and asset.ip_addresses == ("10.0.0.1",)


def test_services_column(tmp_path: Path, context: ImportContext) -> None:
    content = (
        f"{HEADER},services,ae_title\n"
        'P,S,PACS,pacs,"dicom:104; dicom-tls:2762; DICOM:11112/notls/noauth; '
        'https:443/admin/tls; rdp:3389/internet; mllp:2575; wado:8080/auth; cifs:445",'
        "PACS_A; PACS_B ;PACS_C\n"
        "Q,S,Q,pacs,dicom:104;;,\n"
    )
    inventory = load(tmp_path, "services.csv", content, context)
    pacs, other = inventory.assets
    assert pacs.services == (
        Service(ServiceProtocol.DICOM, 104, ae_title="PACS_A"),
        Service(ServiceProtocol.DICOM, 2762, tls=True, ae_title="PACS_B"),
        Service(ServiceProtocol.DICOM, 11112, tls=False, ae_title="PACS_C", auth_required=False),
        Service(ServiceProtocol.HTTPS, 443, tls=True, admin_interface=True),
        Service(ServiceProtocol.RDP, 3389, internet_exposed=True),
        Service(ServiceProtocol.HL7, 2575),
        Service(ServiceProtocol.DICOMWEB, 8080, auth_required=True),
        Service(ServiceProtocol.SMB, 445),
    )
    assert other.services == (Service(ServiceProtocol.DICOM, 104),)


def test_wrong_ae_title_count_is_an_error(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},services,ae_title\nP,S,N,pacs,dicom:104; dicom:105,A;B;C\n"
    problem = only(fail(tmp_path, "aet.csv", content, context))
    assert (problem.location.line, problem.location.column) == (2, 6)
    assert problem.message == "3 AE titles for 2 DICOM services"


def test_quoted_values_with_line_breaks_keep_physical_line_numbers(
    tmp_path: Path, context: ImportContext
) -> None:
    content = (
        f"{HEADER},x_notes\n"
        'A,S,N,ct,"two\nline note"\n'
        "\n"
        ",,,\n"  # blank rows (spreadsheets leave them) are skipped
        "B,S,N,ctt,\n"
    )
    problem = only(fail(tmp_path, "lines.csv", content, context))
    assert (problem.location.line, problem.location.column, problem.location.field) == (
        6,
        4,
        "type",
    )


def test_unknown_values_give_no_observation(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},phi,backup,remote access,patch_last_applied\nA,S,N,ct,?,n/a,unknown,-\n"
    inventory = load(tmp_path, "unknown.csv", content, context)
    assert inventory.observations == ()


def test_same_site_spelled_with_other_case_is_one_site(
    tmp_path: Path, context: ImportContext
) -> None:
    content = f"{HEADER}\nA,Main  Campus,N,ct\nB,main campus,N,ct\n"
    inventory = load(tmp_path, "sites.csv", content, context)
    assert inventory.sites == (Site("main-campus", "Main  Campus"),)
    assert {a.site_id for a in inventory.assets} == {"main-campus"}


def test_non_ascii_site_names_get_ids(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER}\nA,Hôpital Nord,N,ct\nB,東京病院,N,mr\n"
    inventory = load(tmp_path, "accents.csv", content, context)
    assert inventory.sites[0] == Site("hopital-nord", "Hôpital Nord")
    assert inventory.sites[1].id.startswith("site-") and inventory.sites[1].name == "東京病院"


# --- errors: the file as a whole ---------------------------------------------------------------


def test_file_not_found(tmp_path: Path, context: ImportContext) -> None:
    path = tmp_path / "missing.csv"
    with pytest.raises(InventoryInputError) as info:
        read_inventory(path, context)
    assert str(info.value).startswith(f"{path}: file not found")


_READ_AS_NOBODY = """
import datetime as dt, sys
from pathlib import Path
from imagewarden.catalog import load_catalog
from imagewarden.inventory import ImportContext, InventoryInputError, read_inventory
try:
    read_inventory(Path(sys.argv[1]), ImportContext(load_catalog(), dt.datetime.now(dt.UTC)))
except InventoryInputError as error:
    print(error)
"""


def test_permission_denied(context: ImportContext) -> None:
    folder = Path(tempfile.mkdtemp(prefix="iw-perm-"))
    try:
        folder.chmod(0o755)
        path = write(folder, "secret.csv", f"{HEADER}\nA,S,N,ct\n")
        path.chmod(0)
        expected = f"{path}: permission denied (check that you may read this file)"
        if os.geteuid() != 0:
            with pytest.raises(InventoryInputError) as info:
                read_inventory(path, context)
            assert str(info.value) == expected
            return
        # root reads any file: read it as 'nobody' in a child process
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop privileges")
        result = subprocess.run(
            [
                setpriv,
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                sys.executable,
                "-c",
                _READ_AS_NOBODY,
                str(path),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert result.stdout.strip() == expected, result.stderr
    finally:
        shutil.rmtree(folder)


def test_unreadable_file_is_a_clear_error(tmp_path: Path, context: ImportContext) -> None:
    # Whoever runs the tests (root reads anything), a file that cannot be opened gives a
    # user error, not a traceback: here a dangling symlink.
    link = tmp_path / "dangling.csv"
    link.symlink_to(tmp_path / "nowhere.csv")
    with pytest.raises(InventoryInputError) as info:
        read_inventory(link, context)
    assert "file not found" in str(info.value)


def test_directory(tmp_path: Path, context: ImportContext) -> None:
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    with pytest.raises(InventoryInputError) as info:
        read_inventory(folder, context)
    assert str(info.value) == f"{folder}: is a directory, not an inventory file"


def test_empty_file(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "empty.csv", b"", context))
    assert problem.message == "file is empty"
    assert problem.location.line is None


def test_blank_file(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "blank.csv", "\n  \n\n", context))
    assert problem.message == "file is empty (no header line)"


def test_header_only(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "header.csv", f"{HEADER}\n", context))
    assert problem.location.line == 1
    assert problem.message == "no assets: the file has a header but no rows"
    assert str(problem) == (
        f"{tmp_path / 'header.csv'}:1: no assets: the file has a header but no rows "
        "(add one row per asset below the header)"
    )


def test_latin1_file_is_refused_with_line_and_offset(
    tmp_path: Path, context: ImportContext
) -> None:
    content = f"{HEADER}\nA,S,N,ct\nB,Hôpital,N,ct\n".encode("latin-1")
    problem = only(fail(tmp_path, "latin1.csv", content, context))
    offset = content.index(b"\xf4")
    assert (problem.location.line, problem.location.column) == (3, 4)
    assert problem.message.startswith(f"not valid UTF-8: byte 0xF4 at byte offset {offset}")
    assert "UTF-8" in problem.hint and "re-save" in problem.hint


def test_utf16_file_is_refused(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER}\nA,S,N,ct\n".encode("utf-16")
    problem = only(fail(tmp_path, "utf16.csv", content, context))
    assert problem.message == "this file is UTF-16 encoded"
    assert "UTF-8" in problem.hint


def test_nul_byte_in_the_middle(tmp_path: Path, context: ImportContext) -> None:
    head = f"{HEADER}\n" + "".join(f"A{i},S,N,ct\n" for i in range(2000))
    content = head.encode() + b"B,S,N\x00,ct\n"
    problem = only(fail(tmp_path, "nul.csv", content, context))
    assert (problem.location.line, problem.location.column) == (2002, 6)
    assert problem.message == f"contains a NUL byte at byte offset {len(head) + 5}"


def test_binary_file(tmp_path: Path, context: ImportContext) -> None:
    content = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    problem = only(fail(tmp_path, "picture.csv", content, context))
    assert problem.message.startswith("contains a NUL byte at byte offset 8")
    assert "binary" in problem.message


def test_excel_workbook_renamed_to_csv(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "book.csv", b"PK\x03\x04\x14\x00rest-of-zip", context))
    assert "Excel" in problem.message and "CSV UTF-8" in problem.hint


def test_bare_carriage_returns(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "mac.csv", f"{HEADER}\rA,S,N,ct\r", context))
    assert problem.message == "line breaks are a bare carriage return (old Mac style)"


def test_unclosed_quote(tmp_path: Path, context: ImportContext) -> None:
    content = f'{HEADER}\nA,S,N,ct\nB,S,"never closed,ct\nC,S,N,ct\n'
    problem = only(fail(tmp_path, "quote.csv", content, context))
    assert problem.location.line == 3
    assert problem.message == "a quoted value that starts in this row is never closed"


# --- errors: the header -------------------------------------------------------------------------


def test_missing_required_column(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "no-type.csv", "id,site,name\nA,S,N\n", context))
    assert (problem.location.line, problem.location.field) == (1, "type")
    assert problem.message == "missing required column 'type'"
    assert "'modality'" in problem.hint


def test_unknown_column_suggests_the_closest(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},Manufactuer,colour\nA,S,N,ct,GE,red\n"
    error = fail(tmp_path, "unknown-column.csv", content, context)
    first, second = error.problems
    assert (first.location.line, first.location.column, first.location.field) == (
        1,
        5,
        "Manufactuer",
    )
    assert first.message == "unknown column 'Manufactuer'; did you mean 'manufacturer'?"
    assert "'x_'" in first.hint
    assert second.message == "unknown column 'colour'"
    assert str(error).splitlines()[0] == (
        f"{tmp_path / 'unknown-column.csv'}:1:5 (Manufactuer): unknown column 'Manufactuer'; "
        "did you mean 'manufacturer'? (columns whose names start with 'x_' or 'note' are ignored)"
    )


def test_two_headers_for_one_column(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},Vendor,Manufacturer\nA,S,N,ct,GE,GE\n"
    problem = only(fail(tmp_path, "twice.csv", content, context))
    assert (problem.location.line, problem.location.column) == (1, 6)
    assert problem.message == (
        "column 'Manufacturer' repeats column 'Vendor' (column 5), both mean 'vendor'"
    )


def test_value_under_an_unnamed_column(tmp_path: Path, context: ImportContext) -> None:
    inventory = load(tmp_path, "trailing.csv", f"{HEADER},\nA,S,N,ct,\n", context)
    assert len(inventory.assets) == 1
    problem = only(fail(tmp_path, "unnamed.csv", f"{HEADER},\nA,S,N,ct,surprise\n", context))
    assert (problem.location.line, problem.location.column) == (2, 5)
    assert problem.message == "value in a column that has no header"


# --- errors: rows and values --------------------------------------------------------------------


def test_duplicate_asset_id_names_both_lines(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER}\nCT-1,S,N,ct\nMR-1,S,N,mr\nCT-1,S,Other,ct\n"
    problem = only(fail(tmp_path, "dup.csv", content, context))
    assert (problem.location.line, problem.location.column, problem.location.field) == (
        4,
        1,
        "id",
    )
    assert problem.message == "duplicate asset id 'CT-1', first used on line 2"


@pytest.mark.parametrize(
    ("cell", "message", "hint_part"),
    [
        ("10.0.0.256", "invalid IP address '10.0.0.256'", "IPv4"),
        ("10.0.0.1; 10.0.0", "invalid IP address '10.0.0'", "IPv4"),
        ("10.0.0.0/24", "invalid IP address '10.0.0.0/24'", "not a network"),
        ("10.0.0.1:104", "invalid IP address '10.0.0.1:104'", "services column"),
        ("ct1.local", "invalid IP address 'ct1.local'", "hostname column"),
    ],
)
def test_invalid_ip(
    tmp_path: Path, context: ImportContext, cell: str, message: str, hint_part: str
) -> None:
    content = f'{HEADER},IP Address\nA,S,N,ct,"{cell}"\n'
    problem = only(fail(tmp_path, "ip.csv", content, context))
    assert (problem.location.line, problem.location.column, problem.location.field) == (
        2,
        5,
        "IP Address",
    )
    assert problem.message == message
    assert hint_part in problem.hint


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("2024-02-30", "'2024-02-30' is not a real date: day is out of range for month"),
        ("2024-03", "'2024-03' has no day"),
        ("03/04/2024", "'03/04/2024' is ambiguous (day and month order)"),
        ("2024-03-04T10:00", "'2024-03-04T10:00' has a time"),
        ("soon", "expected a date, got 'soon'"),
    ],
)
def test_bad_date(tmp_path: Path, context: ImportContext, cell: str, message: str) -> None:
    content = f"{HEADER},end of support\nA,S,N,ct,{cell}\n"
    problem = only(fail(tmp_path, "date.csv", content, context))
    assert (problem.location.line, problem.location.column) == (2, 5)
    assert problem.message == message
    assert "YYYY-MM-DD" in problem.hint


def test_bad_boolean(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},Stores PHI\nA,S,N,ct,yes\nB,S,N,ct,maybe\n"
    error = fail(tmp_path, "bool.csv", content, context)
    problem = only(error)
    assert (problem.location.line, problem.location.column, problem.location.field) == (
        3,
        5,
        "Stores PHI",
    )
    assert problem.message == "expected yes or no, got 'maybe'"
    assert str(error) == (
        f"{tmp_path / 'bool.csv'}:3:5 (Stores PHI): expected yes or no, got 'maybe' "
        "(use yes/no, y/n, true/false or 1/0; leave blank or write 'unknown' when not known)"
    )


def test_unknown_type_suggests_the_closest(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER}\nA,S,N,CTT\nB,S,N,mamography\nC,S,N,zzz\n"
    first, second, third = fail(tmp_path, "type.csv", content, context).problems
    assert (first.location.line, first.location.column, first.location.field) == (2, 4, "type")
    assert first.message == "unknown asset type 'CTT'; did you mean 'ct'?"
    assert second.message == "unknown asset type 'mamography'; did you mean 'mammography'?"
    assert third.message == "unknown asset type 'zzz'"
    assert "pacs" in third.hint


def test_bad_choice_value(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},remote access\nA,S,N,ct,sometimes\n"
    problem = only(fail(tmp_path, "choice.csv", content, context))
    assert problem.message == "unknown value for remote_access.mode 'sometimes'"
    assert problem.hint == "accepted: none, on_demand, always_on"


def test_bad_number_zone_and_criticality(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},missing patches,zone,criticality\nA,S,N,ct,-2,imagng,5\n"
    missing, zone, criticality = fail(tmp_path, "numbers.csv", content, context).problems
    assert [p.location.column for p in (missing, zone, criticality)] == [5, 6, 7]
    assert missing.message == "expected a number of 0 or more, got -2"
    assert zone.message == "unknown network zone 'imagng'; did you mean 'imaging'?"
    assert criticality.message == "unknown criticality '5'"
    assert criticality.hint == "accepted: low, medium, high, critical"


def test_too_many_and_too_few_fields(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER}\nA,S,N,ct,extra\nB,S\n"
    many, few = fail(tmp_path, "fields.csv", content, context).problems
    assert (many.location.line, many.location.column) == (2, 5)
    assert many.message == "row has 5 fields but the header has 4 columns"
    assert "double quotes" in many.hint
    assert (few.location.line, few.location.column) == (3, 3)
    assert few.message == "row has 2 fields but the header has 4 columns"


def test_required_values_must_not_be_blank(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER}\n,S,N,ct\nB, ,N,ct\nC,S,,ct\nD,S,N,\n"
    problems = fail(tmp_path, "blank.csv", content, context).problems
    assert [(p.location.line, p.location.column, p.message) for p in problems] == [
        (2, 1, "asset id is missing or empty"),
        (3, 2, "site is missing or empty"),
        (4, 3, "name is missing or empty"),
        (5, 4, "asset type is missing or empty"),
    ]


def test_line_break_in_an_id(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "id.csv", f'{HEADER}\n"A\nB",S,N,ct\n', context))
    assert problem.message == "contains a line break"


def test_site_spellings_that_collide(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER}\nA,St-Marys,N,ct\nB,St Marys,N,ct\n"
    problem = only(fail(tmp_path, "collide.csv", content, context))
    assert problem.location.line == 3
    assert problem.message == "site 'St Marys' gets the same id 'st-marys' as site 'St-Marys'"


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("dicom", "service 'dicom' has no port"),
        ("dicom:70000", "port 70000 is out of range"),
        ("dicom:port", "invalid port 'port'"),
        ("dicom:104/tsl", "unknown service flag 'tsl' in 'dicom:104/tsl'; did you mean 'tls'?"),
        ("dicom:104/tls/notls", "service 'dicom:104/tls/notls' has contradicting flags"),
        ("xyz:70", "unknown protocol 'xyz'"),
        ("dicom:104; dicom:104/tls", "service dicom:104 is listed twice"),
    ],
)
def test_bad_services(tmp_path: Path, context: ImportContext, cell: str, message: str) -> None:
    content = f"{HEADER},services\nA,S,N,ct,{cell}\n"
    problem = only(fail(tmp_path, "svc.csv", content, context))
    assert (problem.location.line, problem.location.column) == (2, 5)
    assert problem.message == message


def test_port_hint_names_the_usual_port(tmp_path: Path, context: ImportContext) -> None:
    problem = only(fail(tmp_path, "p.csv", f"{HEADER},services\nA,S,N,ct,dicom\n", context))
    assert problem.hint == "write protocol:port, e.g. 'dicom:104'"


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("CT_SCANNER_NUMBER_1", "AE title 'CT_SCANNER_NUMBER_1' is 19 characters long"),
        ("CT\\1", "AE title 'CT\\\\1' contains a backslash"),
        ("CTÄ", "AE title 'CTÄ' contains non-ASCII character U+00C4"),
    ],
)
def test_bad_ae_titles(tmp_path: Path, context: ImportContext, cell: str, message: str) -> None:
    content = f"{HEADER},services,AE Title\nA,S,N,ct,dicom:104,{cell}\n"
    problem = only(fail(tmp_path, "ae.csv", content, context))
    assert (problem.location.line, problem.location.column, problem.location.field) == (
        2,
        6,
        "AE Title",
    )
    assert problem.message == message


def test_ae_title_without_a_dicom_service(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER},services,aet\nA,S,N,ct,https:443,CT1\n"
    problem = only(fail(tmp_path, "ae2.csv", content, context))
    assert problem.message == "AE title given but the asset has no DICOM service to carry it"
    assert "dicom:104" in problem.hint


def test_every_problem_is_reported_up_to_the_limit(tmp_path: Path, context: ImportContext) -> None:
    rows = "".join(f"A{i},S,N,nonsense\n" for i in range(50))
    error = fail(tmp_path, "many.csv", f"{HEADER}\n{rows}", context)
    assert len(error.problems) == MAX_PROBLEMS and error.truncated
    lines = str(error).splitlines()
    assert lines[0].startswith(f"{tmp_path / 'many.csv'}:2:4 (type): unknown asset type")
    assert lines[-3:] == [
        "... and 10 more problems",
        f"validation stopped after {MAX_PROBLEMS} problems",
        "nothing was imported; fix these and import the file again",
    ]


def test_errors_and_good_rows_import_nothing(tmp_path: Path, context: ImportContext) -> None:
    content = f"{HEADER}\nA,S,N,ct\nB,S,N,ct\nC,S,N,bad\n"
    error = fail(tmp_path, "partial.csv", content, context)
    assert [p.location.line for p in error.problems] == [4]


def test_excel_separator_line(tmp_path: Path, context: ImportContext) -> None:
    content = (
        f"sep=;\r\n{HEADER.replace(',', ';')};services\r\nA;S;N;ct;dicom:104\r\nB;S;N;ctt;\r\n"
    )
    problem = only(fail(tmp_path, "excel.csv", content, context))
    assert (problem.location.line, problem.location.column) == (4, 4)
    inventory = load(tmp_path, "excel-ok.csv", content.replace("ctt", "mr"), context)
    assert [a.id for a in inventory.assets] == ["A", "B"]
