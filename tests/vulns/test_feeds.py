"""Feed import: detection, streaming, incremental updates, KEV/EPSS joins and bad files."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from imagewarden.catalog import Catalog
from imagewarden.model import UserInputError
from imagewarden.store import Store
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.store.repository import FeedCounts, VulnRepository

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)


def _importer(store: Store, catalog: Catalog) -> FeedImporter:
    return FeedImporter(VulnRepository(store), catalog, "tester")


def _feed(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resultsPerPage": len(records),
        "format": "NVD_CVE",
        "version": "2.0",
        "vulnerabilities": [{"cve": r} for r in records],
    }


def _record(shared: Path, cve: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((shared / "nvd" / f"{cve}.json").read_text())
    return data


def test_shared_data_imports_with_every_record(
    store: Store, catalog: Catalog, shared: Path
) -> None:
    results = _importer(store, catalog).import_paths([shared], NOW)
    kinds = {r.kind for r in results}
    assert kinds == {"nvd", "kev", "epss", "csaf"}
    counts = VulnRepository(store).counts()
    assert counts.cves == 45
    assert counts.kev == 1404
    assert counts.epss == 49
    # Index and provenance CSVs next to the records are not feeds and are skipped.
    assert not any(r.file.endswith(("INDEX.csv", "PROVENANCE.csv")) for r in results)


def test_kev_and_epss_join_on_cve(fed_store: Store) -> None:
    vulns = VulnRepository(fed_store)
    kev = vulns.kev(["CVE-2017-0144", "CVE-2023-43208", "CVE-2025-0896"])
    assert set(kev) == {"CVE-2017-0144", "CVE-2023-43208"}
    assert kev["CVE-2017-0144"].ransomware is True
    assert kev["CVE-2017-0144"].date_added == "2022-02-10"
    assert kev["CVE-2017-0144"].due_date == "2022-08-10"
    assert kev["CVE-2023-43208"].vendor == "NextGen Healthcare"
    epss = vulns.epss(["CVE-2025-1001", "CVE-2026-32711"])
    # Written as 6e-05 in the source file; CVE-2026-32711 has no EPSS value.
    assert set(epss) == {"CVE-2025-1001"}
    assert epss["CVE-2025-1001"].epss == pytest.approx(0.00006)
    assert epss["CVE-2025-1001"].score_date == "2025-08-15"


def test_nvd_feed_file_streams_and_reimport_is_incremental(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    records = [_record(shared, c) for c in ("CVE-2023-43208", "CVE-2025-0896", "CVE-2022-2119")]
    feed = tmp_path / "nvdcve-2.0-recent.json"
    feed.write_text(json.dumps(_feed(records)))
    importer = _importer(store, catalog)
    first = importer.import_file(feed, NOW)
    assert (first.records, first.skipped) == (3, 0)
    again = importer.import_file(feed, NOW)
    assert (again.records, again.skipped) == (0, 3)
    # NVD analyses CVE-2025-0896 later: the newer record replaces the stored one.
    newer = dict(records[1])
    newer["lastModified"] = "2026-01-01T00:00:00.000"
    newer["configurations"] = [
        {
            "nodes": [
                {
                    "operator": "OR",
                    "negate": False,
                    "cpeMatch": [
                        {
                            "vulnerable": True,
                            "criteria": "cpe:2.3:a:orthanc-server:orthanc:*:*:*:*:*:*:*:*",
                            "versionEndExcluding": "1.5.8",
                        }
                    ],
                }
            ]
        }
    ]
    feed.write_text(json.dumps(_feed([records[0], newer])))
    update = importer.import_file(feed, NOW)
    assert (update.records, update.skipped) == (1, 1)
    vulns = VulnRepository(store)
    matches = vulns.matches_for({("orthanc-server", "orthanc")})
    assert [m.end_excluding for m in matches["CVE-2025-0896"]] == ["1.5.8"]
    # The description guess made while the CVE had no configuration is gone.
    assert not [m for m in vulns.mentions_for({("orthanc", "orthanc")}) if m.cve == "CVE-2025-0896"]


def test_epss_gzip_with_model_version_line(store: Store, catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "epss_scores-2025-08-15.csv.gz"
    body = (
        "#model_version:v2025.03.14,score_date:2025-08-15T12:55:00Z\n"
        "cve,epss,percentile\n"
        "CVE-2017-0144,0.94258,0.99941\n"
        "CVE-2023-43208,0.94,0.9993\n"
    )
    path.write_bytes(gzip.compress(body.encode()))
    result = _importer(store, catalog).import_file(path, NOW)
    assert (result.kind, result.records) == ("epss", 2)
    score = VulnRepository(store).epss(["CVE-2017-0144"])["CVE-2017-0144"]
    assert (score.epss, score.percentile, score.score_date) == (0.94258, 0.99941, "2025-08-15")


def _counts(store: Store) -> FeedCounts:
    return VulnRepository(store).counts()


def test_truncated_json_names_the_file_and_writes_nothing(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    records = [_record(shared, c) for c in ("CVE-2023-43208", "CVE-2025-0896")]
    text = json.dumps(_feed(records))
    feed = tmp_path / "broken.json"
    feed.write_text(text[: len(text) - 200])
    with pytest.raises(UserInputError) as caught:
        _importer(store, catalog).import_file(feed, NOW)
    message = str(caught.value)
    assert str(feed) in message
    assert "truncated" in message and "nothing from this file was imported" in message
    assert _counts(store).cves == 0


def test_malformed_record_rolls_back_the_whole_file(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    good = _record(shared, "CVE-2023-43208")
    bad = dict(_record(shared, "CVE-2025-0896"))
    del bad["published"]
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps(_feed([good, bad])))
    with pytest.raises(UserInputError, match=r"record 2 \(CVE-2025-0896\): field 'published'"):
        _importer(store, catalog).import_file(feed, NOW)
    assert _counts(store).cves == 0


def test_bad_cpe_is_reported_with_the_record(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    bad = json.loads(json.dumps(_record(shared, "CVE-2023-43208")))
    bad["configurations"][0]["nodes"][0]["cpeMatch"][0]["criteria"] = "cpe:/a:nextgen:mirth"
    feed = tmp_path / "feed.json"
    feed.write_text(json.dumps(_feed([bad])))
    with pytest.raises(UserInputError, match=r"record 1 \(CVE-2023-43208\): not a CPE 2.3 name"):
        _importer(store, catalog).import_file(feed, NOW)


def test_wrong_schema_is_refused(store: Store, catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"items": [{"id": 1}]}))
    with pytest.raises(UserInputError, match="not a recognised feed"):
        _importer(store, catalog).import_file(path, NOW)
    kev = tmp_path / "kev.json"
    kev.write_text(json.dumps({"catalogVersion": "x", "vulnerabilities": [{"cveID": "nope"}]}))
    with pytest.raises(UserInputError, match=r"record 1 \(nope\): 'cveID'"):
        _importer(store, catalog).import_file(kev, NOW)
    assert _counts(store).kev == 0


def test_bad_csv_row_names_the_line(store: Store, catalog: Catalog, tmp_path: Path) -> None:
    path = tmp_path / "epss.csv"
    path.write_text(
        "#model_version:v2025.03.14,score_date:2025-08-15T00:00:00Z\n"
        "cve,epss,percentile\n"
        "CVE-2017-0144,0.9,0.99\n"
        "CVE-2023-43208,high,0.99\n"
    )
    with pytest.raises(UserInputError) as caught:
        _importer(store, catalog).import_file(path, NOW)
    assert f"{path}:4" in str(caught.value)
    assert "epss 'high' is not a number" in str(caught.value)
    assert _counts(store).epss == 0


def test_csaf_without_product_tree_is_refused(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    doc = json.loads((shared / "csaf" / "icsma-24-023-01.json").read_text())
    del doc["product_tree"]
    path = tmp_path / "advisory.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(UserInputError, match=r"not a CSAF 2\.0 advisory"):
        _importer(store, catalog).import_file(path, NOW)


def test_reimporting_an_advisory_replaces_its_products(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    path = tmp_path / "icsma-22-174-01.json"
    shutil.copy(shared / "csaf" / "icsma-22-174-01.json", path)
    importer = _importer(store, catalog)
    importer.import_file(path, NOW)
    importer.import_file(path, NOW)
    mentions = VulnRepository(store).mentions_for({("offis", "dcmtk")})
    assert sorted(m.cve for m in mentions) == ["CVE-2022-2119", "CVE-2022-2120", "CVE-2022-2121"]
    assert {(m.mention.version_op, m.mention.version) for m in mentions} == {("<", "3.6.7")}
