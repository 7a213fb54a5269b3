"""A 50 MB inventory (200,000 assets) imports row by row; timings are for benchmarks, not here."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewarden.inventory import ImportContext, InventoryInputError, read_inventory

ROWS = 200_000

_TYPES = ("CT", "MRI", "ultrasound", "x-ray", "PACS", "viewer", "ai application", "mammo", "PET/CT")
_PRODUCTS = (
    ("GEHC", "Revolution EVO"),
    ("Siemens", "Skyra"),
    ("Philips", "Ingenuity"),
    ("Acme", "Thing 9"),
)
_OSES = ("Microsoft Windows 7 Professional", "Windows 10", "Red Hat Enterprise Linux 7", "")


def _write_large(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(
            "Asset ID,Site,Device Name,Type,Manufacturer,Model,Software Version,OS,IP Address,"
            "Hostname,VLAN,Zone,Criticality,Stores PHI,Backup,Backup Last Tested,Remote Access,"
            "MFA,services,AET\n"
        )
        for i in range(rows):
            vendor, model = _PRODUCTS[i % 4]
            out.write(
                f"A-{i:07d},Hospital {i % 50},Device number {i} in radiology,{_TYPES[i % 9]},"
                f"{vendor},{model},VB20A_SP3,{_OSES[i % 4]},"
                f"10.{i % 250}.{(i // 250) % 250}.{i % 200 + 1},dev{i}.rad.example.org,"
                f"VLAN-120-IMAGING,imaging,high,yes,yes,2024-11-05,on demand,no,"
                f"dicom:104; dicom:2762/tls; https:443/admin,AE{i % 100000}\n"
            )


@pytest.fixture(scope="module")
def large_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("large") / "large.csv"
    _write_large(path, ROWS)
    return path


@pytest.mark.slow
def test_50_mb_csv_imports(large_csv: Path, context: ImportContext) -> None:
    assert large_csv.stat().st_size > 50_000_000
    inventory = read_inventory(large_csv, context)
    assert len(inventory.assets) == ROWS
    assert len(inventory.sites) == 50
    assert len(inventory.observations) == ROWS * 5
    assert inventory.assets[-1].id == f"A-{ROWS - 1:07d}"
    assert inventory.assets[-1].services[1].ae_title == f"AE{(ROWS - 1) % 100000}"


@pytest.mark.slow
def test_50_mb_csv_with_one_bad_last_row(
    large_csv: Path, tmp_path: Path, context: ImportContext
) -> None:
    path = tmp_path / "large-bad.csv"
    path.write_bytes(large_csv.read_bytes() + b"A-0000000,Hospital 0,Again,ct\n")
    with pytest.raises(InventoryInputError) as info:
        read_inventory(path, context)
    (problem,) = info.value.problems
    assert problem.location.line == ROWS + 2
    assert problem.message == "row has 4 fields but the header has 20 columns"
