"""NVD vendor names as NVD spells them: every CPE vendor string of the shared NVD records
resolves to its company in the product dictionary, and an asset of that company is looked
up under that string (issue 10, item 3)."""

from __future__ import annotations

import json
from pathlib import Path

from imagewarden.catalog import Catalog
from imagewarden.model import AssetType
from imagewarden.vulns.identities import identities
from tests.factories import asset

# Written by hand from the records: the company each vendor string names.
COMPANY = {
    "carestream": "Carestream Health",
    "fujifilm": "Fujifilm",
    "ge": "GE HealthCare",
    "johnsoncontrols": "Johnson Controls",
    "microdicom": "MicroDicom",
    "microsoft": "Microsoft",
    "nema": "NEMA",
    "nextgen": "NextGen Healthcare",
    "offis": "OFFIS",
    "orthanc-server": "Orthanc",
    "philips": "Philips",
    "santesoft": "Santesoft",
    "siemens": "Siemens Healthineers",
}


def _cpe_vendors(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in sorted(folder.glob("CVE-*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        cve = record["vulnerabilities"][0]["cve"] if "vulnerabilities" in record else record
        for config in cve.get("configurations", []):
            for node in config["nodes"]:
                for entry in node["cpeMatch"]:
                    found.add(entry["criteria"].split(":")[3])
    return found


def test_every_cpe_vendor_string_resolves_to_its_company(catalog: Catalog, shared: Path) -> None:
    vendors = _cpe_vendors(shared / "nvd")
    assert vendors == set(COMPANY), "new vendor strings in the data: review them"
    for cpe_vendor in sorted(vendors):
        entry = catalog.products.cpe_vendor(cpe_vendor)
        assert entry is not None, f"{cpe_vendor} names no company"
        assert entry.vendor == COMPANY[cpe_vendor], cpe_vendor
        # Listed, not guessed: an asset of the company is matched under this string.
        assert cpe_vendor in entry.cpe_vendors, cpe_vendor
        model = asset("A", vendor=entry.vendor, model="Some Model", os="", type=AssetType.PACS)
        assert cpe_vendor in {i.vendor for i in identities(catalog.products, model, {})}


def test_a_vendor_spelling_resolves_through_the_aliases(catalog: Catalog) -> None:
    # A string not listed under cpe_vendors is read as a name ("ge_healthcare").
    entry = catalog.products.cpe_vendor("ge_healthcare")
    assert entry is not None and entry.vendor == "GE HealthCare"
    assert catalog.products.cpe_vendor("acme_imaging") is None
