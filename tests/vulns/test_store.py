"""The vulnerability tables on SQLite and PostgreSQL: migration, import, lookups, rollback."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.engine import load_view
from imagewarden.model import UserInputError
from imagewarden.store.schema_versions import current_revisions
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.interface import SbomComponent
from imagewarden.vulns.producer import VulnProducer
from imagewarden.vulns.store.repository import VulnRepository
from tests.factories import asset, inventory

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def test_feeds_and_matching_on_each_database(
    db_url: str, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    with open_store(db_url, create=True) as store:
        assert "v0001" in current_revisions(store.engine)
        importer = FeedImporter(VulnRepository(store), catalog, "tester")
        importer.import_paths([shared / "nvd", shared / "kev", shared / "csaf"], NOW)
        vulns = VulnRepository(store)
        assert vulns.counts().cves == 45
        store.save_inventory(
            inventory(
                asset(
                    "M-1",
                    vendor="NextGen",
                    model="Mirth",
                    software_version="4.0.1",
                    os="",
                    os_version="",
                    services=(),
                ),
            )
        )
        vulns.replace_components(
            "tester",
            "M-1",
            [
                SbomComponent(
                    "dcmtk", "3.6.7", "OFFIS", cpe="cpe:2.3:a:offis:dcmtk:3.6.7:*:*:*:*:*:*:*"
                )
            ],
            "sbom:t",
        )
        view = load_view(store, catalog, NOW.date())
        cves = {m.cve for m in VulnProducer(store, catalog).matches(view)}
        assert {"CVE-2023-43208", "CVE-2022-43272"} <= cves
        # A bad file in the middle leaves the earlier state untouched.
        bad = tmp_path / "bad.json"
        record = json.loads((shared / "nvd" / "CVE-2025-0896.json").read_text())
        record["lastModified"] = "2030-01-01T00:00:00.000"
        broken = dict(record, id="CVE-BROKEN")
        bad.write_text(json.dumps({"vulnerabilities": [{"cve": record}, {"cve": broken}]}))
        with pytest.raises(UserInputError, match="record 2"):
            importer.import_file(bad, NOW)
        info = vulns.cve_info(["CVE-2025-0896"])["CVE-2025-0896"]
        assert info.last_modified != "2030-01-01T00:00:00.000"


def test_product_lookups_stay_within_the_parameter_limit(db_url: str) -> None:
    """Thousands of (vendor, product) keys, one vendor with 2,000 products: every query stays
    under SQLite's bound-parameter limit and every key is found, and no other, in the CPE
    entries and in the products named by advisories."""
    from imagewarden.vulns.store.repository import _products_by_vendor
    from imagewarden.vulns.store.tables import VulnCpeMatchRow, VulnMentionRow

    pairs = {(f"v{v}", f"p{p}") for v in range(40) for p in range(60)}
    pairs |= {("big", f"p{p}") for p in range(2000)}
    lookups = list(_products_by_vendor(pairs))
    assert all(1 + len(products) <= 900 for _vendor, products in lookups)
    assert {(vendor, p) for vendor, products in lookups for p in products} == pairs
    with open_store(db_url, create=True) as store:
        rows = [
            {
                "cve_id": f"CVE-2026-{n:05d}",
                "config": 0,
                "node": 0,
                "operator": "OR",
                "vulnerable": True,
                "part": "a",
                "vendor": v,
                "product": p,
                "version": "*",
                "update": "*",
                "start_including": "",
                "start_excluding": "",
                "end_including": "",
                "end_excluding": "",
            }
            for n, (v, p) in enumerate(sorted(pairs | {("v1", "other"), ("other", "p1")}))
        ]
        mentions = [
            {
                "cve_id": row["cve_id"],
                "vendor_key": row["vendor"],
                "product_key": row["product"],
                "label": f"{row['vendor']} {row['product']}",
                "version_op": "",
                "version": "",
                "source": "description",
            }
            for row in rows
        ]
        with store.engine.begin() as connection:
            connection.execute(VulnCpeMatchRow.__table__.insert(), rows)
            connection.execute(VulnMentionRow.__table__.insert(), mentions)
        found = VulnRepository(store).matches_for(pairs)
        assert {(e[0].vendor, e[0].product) for e in found.values()} == pairs
        named = VulnRepository(store).mentions_for(pairs)
        assert len(named) == len(pairs)
        assert {(m.mention.vendor_key, m.mention.product_key) for m in named} == pairs
