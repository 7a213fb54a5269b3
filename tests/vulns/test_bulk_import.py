"""The fast NVD import path: same records as the exact reader, indexes kept, limits held."""

from __future__ import annotations

import datetime as dt
import functools
import gc
import io
import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from imagewarden.app import open_store
from imagewarden.catalog import Catalog
from imagewarden.model import UserInputError
from imagewarden.readers import json as json_reader
from imagewarden.readers.json import nesting_at_most, stream_items
from imagewarden.readers.limits import JSON_DEPTH, LimitExceeded
from imagewarden.store import Store
from imagewarden.store.schema import Base
from imagewarden.vulns import importer as importer_module
from imagewarden.vulns import rows
from imagewarden.vulns.feeds.nvd import parse_record, read_nvd
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.interface import CveRows
from imagewarden.vulns.names import PhraseIndex
from imagewarden.vulns.rows import record_rows
from imagewarden.vulns.store.repository import FeedCounts, VulnRepository
from tests.threads import in_a_thread

NOW = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)
VULN_TABLES = ("vuln_cves", "vuln_cpe_matches", "vuln_mentions")
FEED_TABLES = (*VULN_TABLES, "vuln_kev", "vuln_epss")
MIGRATION_INDEXES = {
    "vuln_cpe_matches": {
        "ix_vuln_cpe_matches_cve_id": ["cve_id"],
        "ix_vuln_cpe_vendor_product": ["vendor", "product"],
    },
    "vuln_mentions": {
        "ix_vuln_mentions_cve_id": ["cve_id"],
        "ix_vuln_mentions_source": ["source"],
        "ix_vuln_mentions_vendor_product": ["vendor_key", "product_key"],
    },
}


def _shared_records(shared: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((shared / "nvd").glob("CVE-*.json"))]


def _variants(shared: Path, copies: int) -> list[dict[str, Any]]:
    """Real records under new ids, with the odd things real feeds hold in their text."""
    records = []
    for copy in range(copies):
        for record in _shared_records(shared):
            record = json.loads(json.dumps(record))
            record["id"] = f"{record['id']}{copy:02d}"
            if copy % 3 == 1:  # text that looks like an item boundary, escapes, brackets
                record["descriptions"].append(
                    {"lang": "es", "value": 'x"}},{"cve":{"id":"CVE-1999-0001"}}, ] [ \\ \\"'}
                )
            if copy % 4 == 2:  # nesting in a field nothing reads
                record["vendorComments"] = [[[{"a": ["}]"]}]]]
            records.append(record)
    return records


def _write_feed(path: Path, records: list[dict[str, Any]]) -> Path:
    body = {"resultsPerPage": len(records), "format": "NVD_CVE", "version": "2.0"}
    body["vulnerabilities"] = [{"cve": r} for r in records]
    path.write_text(json.dumps(body, indent=1))
    return path


def _exact(path: Path, phrases: PhraseIndex | None = None) -> list[Any]:
    """Each record's rows, as the exact reader and ``record_rows`` give them."""
    with path.open("rb") as handle:
        items = stream_items(handle, str(path), "vulnerabilities")
        return _records(record_rows(parse_record(raw, phrases) for raw in items))


def _records(rows: CveRows) -> list[Any]:
    return list(zip(rows.cves, rows.matches, rows.mentions, strict=True))


def _read(path: Path, phrases: PhraseIndex | None = None) -> list[Any]:
    """Each record's rows as ``read_nvd`` gives them (fast chunks, then exact records)."""
    found = []
    for item in read_nvd(path, single=False, phrases=phrases):
        found += _records(item if isinstance(item, CveRows) else record_rows([item]))
    return found


@pytest.mark.parametrize("block", [512, 4096, 1 << 22])
def test_fast_and_exact_readers_give_the_same_records(
    shared: Path, catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    monkeypatch.setattr(json_reader, "FAST_BLOCK", block)
    records = _variants(shared, 8)
    odd = json.loads(json.dumps(records[30]))
    odd["metrics"] = {"cvssMetricV31": "not a list"}  # the exact reader ignores it
    records[30] = odd
    feed = _write_feed(tmp_path / "feed.json", records)
    phrases = PhraseIndex.build(catalog.products)
    assert _read(feed) == _exact(feed)
    assert _read(feed, phrases) == _exact(feed, phrases)
    assert len(_exact(feed)) == len(records)
    assert any(mentions for *_, mentions in _exact(feed, phrases))


def test_a_bad_record_after_fast_chunks_is_named(shared: Path, tmp_path: Path) -> None:
    records = _variants(shared, 6)
    del records[-3]["published"]
    feed = _write_feed(tmp_path / "feed.json", records)
    with pytest.raises(UserInputError, match=rf"record {len(records) - 2} \(.*field 'published'"):
        list(read_nvd(feed, single=False))


def test_nesting_in_unread_fields_is_still_bounded(
    shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(JSON_DEPTH.variable, "12")
    records = _variants(shared, 2)
    # document {, vulnerabilities [, item {, cve {, then 9 levels: depth 13 > 12
    records[5]["vendorComments"] = json.loads("[" * 9 + "]" * 9)
    feed = _write_feed(tmp_path / "deep.json", records)
    with pytest.raises(LimitExceeded) as caught:
        list(read_nvd(feed, single=False))
    assert caught.value.limit is JSON_DEPTH
    records[5]["vendorComments"] = json.loads("[" * 8 + "]" * 8)  # depth 12: accepted
    feed = _write_feed(tmp_path / "deep.json", records)
    assert len(_read(feed)) == len(records)


@pytest.mark.parametrize(
    ("document", "height"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": "]]]"}]}', 3),
        (b'["\\\\", ["\\"[["]]', 2),
        (b'{"a": "[[[["}, {"b": [[["\\\\\\"}"]]]}', 4),
        (b'"{[", "]}", [[]]', 2),
    ],
)
def test_nesting_is_measured_outside_strings(document: bytes, height: int) -> None:
    assert nesting_at_most(document, height)
    assert not nesting_at_most(document, height - 1)
    json.loads(b"[" + document + b"]")  # the cases are valid JSON


def _indexes(store: Store) -> dict[str, dict[str, list[str]]]:
    with store.connection() as connection:
        inspector = inspect(connection)
        return {
            table: {i["name"]: list(i["column_names"]) for i in inspector.get_indexes(table)}
            for table in MIGRATION_INDEXES
        }


def _schema_differences(store: Store) -> list[Any]:
    with store.connection() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    return [d for d in diff if any(t in repr(d) for t in VULN_TABLES)]


def _contents(store: Store, tables: tuple[str, ...] = VULN_TABLES) -> dict[str, list[Any]]:
    found = {}
    with store.connection() as connection:
        for table in tables:
            columns = [
                c["name"] for c in inspect(connection).get_columns(table) if c["name"] != "id"
            ]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = connection.execute(text(f"SELECT {quoted} FROM {table}")).all()
            found[table] = sorted(tuple(row) for row in rows)
    return found


def test_first_import_builds_indexes_and_later_imports_keep_them(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    records = _variants(shared, 4)
    importer = FeedImporter(VulnRepository(store), catalog, "tester")
    first = importer.import_file(_write_feed(tmp_path / "a.json", records[:60]), NOW)
    assert first.records == 60
    assert _indexes(store) == MIGRATION_INDEXES
    assert _schema_differences(store) == []
    # An incremental import: new records, one newer version, the rest unchanged.
    newer = json.loads(json.dumps(records[0]))
    newer["lastModified"] = "2099-01-01T00:00:00.000"
    second = importer.import_file(_write_feed(tmp_path / "b.json", [newer, *records[30:]]), NOW)
    assert (second.records, second.skipped) == (1 + len(records) - 60, 30)
    assert _indexes(store) == MIGRATION_INDEXES
    assert _schema_differences(store) == []
    in_parts = _contents(store)

    # The same records in one first import give the same rows.
    with open_store(f"sqlite:///{tmp_path / 'one.db'}", create=True) as other:
        one = FeedImporter(VulnRepository(other), catalog, "tester")
        one.import_file(_write_feed(tmp_path / "all.json", [newer, *records[1:]]), NOW)
        assert _contents(other) == in_parts
        again = one.import_file(tmp_path / "all.json", NOW)  # a re-import changes nothing
        assert (again.records, again.skipped) == (0, len(records))
        assert _contents(other) == in_parts
        assert _indexes(other) == MIGRATION_INDEXES


def test_a_refused_first_import_leaves_the_indexes_and_the_collector(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    records = _variants(shared, 3)
    records[-1]["id"] = "not-a-cve"
    importer = FeedImporter(VulnRepository(store), catalog, "tester")
    assert gc.isenabled()
    with pytest.raises(UserInputError, match="not a CVE id"):
        importer.import_file(_write_feed(tmp_path / "bad.json", records), NOW)
    assert gc.isenabled()
    assert _indexes(store) == MIGRATION_INDEXES
    assert VulnRepository(store).counts().cves == 0


def test_joined_stream_reads_the_head_then_the_rest() -> None:
    joined = json_reader._Joined(b"abc", io.BytesIO(b"defg"))
    assert joined.read(2) + joined.read(5) + joined.read(5) + joined.read(5) == b"abcdefg"


def test_a_cve_repeated_across_batches_of_a_first_import(
    store: Store, catalog: Catalog, shared: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rows, "BATCH", 7)
    records = _variants(shared, 2)
    older = json.loads(json.dumps(records[3]))
    older["lastModified"] = "2000-01-01T00:00:00.000"
    newer = json.loads(json.dumps(records[3]))
    newer["lastModified"] = "2099-01-01T00:00:00.000"
    newer["descriptions"] = [{"lang": "en", "value": "The newest text."}]
    importer = FeedImporter(VulnRepository(store), catalog, "tester")
    result = importer.import_file(_write_feed(tmp_path / "dup.json", [*records, newer, older]), NOW)
    assert (result.records, result.skipped) == (len(records) + 1, 1)
    assert _indexes(store) == MIGRATION_INDEXES
    info = VulnRepository(store).cve_info([newer["id"]])[newer["id"]]
    assert info.description == "The newest text."
    with store.connection() as connection:
        count = connection.execute(
            text("SELECT count(*) FROM vuln_cves WHERE cve_id = :c"), {"c": newer["id"]}
        ).scalar()
    assert count == 1


def test_indexes_after_a_first_import_on_each_database(
    db_url: str, catalog: Catalog, shared: Path, tmp_path: Path
) -> None:
    records = _variants(shared, 2)
    with open_store(db_url, create=True) as opened:
        importer = FeedImporter(VulnRepository(opened), catalog, "tester")
        importer.import_file(_write_feed(tmp_path / "a.json", records[:20]), NOW)
        assert _indexes(opened) == MIGRATION_INDEXES
        assert _schema_differences(opened) == []
        more = importer.import_file(_write_feed(tmp_path / "b.json", records), NOW)
        assert (more.records, more.skipped) == (len(records) - 20, 20)
        assert _indexes(opened) == MIGRATION_INDEXES


# --- large files: read in a child process while the rows are written ------------------------


def _import_all(url: str, catalog: Catalog, paths: list[Path]) -> dict[str, list[Any]]:
    with open_store(url, create=True) as opened:
        FeedImporter(VulnRepository(opened), catalog, "tester").import_paths(paths, NOW)
        assert _indexes(opened) == MIGRATION_INDEXES
        return _contents(opened, FEED_TABLES)


@pytest.mark.parametrize("threads", ["one thread (forked)", "two threads (spawned)"])
def test_every_feed_read_in_a_child_gives_the_same_rows(
    db_url: str,
    catalog: Catalog,
    shared: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    threads: str,
) -> None:
    paths = [shared, _write_feed(tmp_path / "variants.json", _variants(shared, 4))]
    in_process = _import_all(f"sqlite:///{tmp_path / 'here.db'}", catalog, paths)
    monkeypatch.setattr(importer_module, "IN_CHILD_BYTES", 0)
    run = functools.partial(_import_all, db_url, catalog, paths)
    assert (run() if threads.startswith("one") else in_a_thread(run)) == in_process
    assert all(in_process[table] for table in FEED_TABLES)
    assert multiprocessing.active_children() == []


def _bad_feed(shared: Path, path: Path) -> Path:
    """Real records with one, two thirds in, missing its publication date."""
    records = _variants(shared, 6)
    del records[len(records) * 2 // 3]["published"]
    return _write_feed(path, records)


@pytest.mark.parametrize("threads", ["one thread (forked)", "two threads (spawned)"])
def test_a_bad_record_read_in_a_child_stops_the_import_and_writes_nothing(
    db_url: str,
    catalog: Catalog,
    shared: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    threads: str,
) -> None:
    monkeypatch.setattr(rows, "BATCH", 7)  # many batches written before the bad record
    feed = _bad_feed(shared, tmp_path / "bad.json")
    here = open_store(f"sqlite:///{tmp_path / 'here.db'}", create=True)
    with here, pytest.raises(UserInputError) as in_process:
        FeedImporter(VulnRepository(here), catalog, "tester").import_file(feed, NOW)
    assert "field 'published'" in in_process.value.message
    monkeypatch.setattr(importer_module, "IN_CHILD_BYTES", 0)
    with open_store(db_url, create=True) as opened:
        repository = VulnRepository(opened)
        importer = FeedImporter(repository, catalog, "tester")
        run = functools.partial(importer.import_file, feed, NOW)
        with pytest.raises(UserInputError) as in_child:
            run() if threads.startswith("one") else in_a_thread(run)
        assert str(in_child.value) == str(in_process.value)
        assert repository.counts() == FeedCounts(0, 0, 0, 0, 0, 0)
        assert repository.imports() == []
        assert _indexes(opened) == MIGRATION_INDEXES
    assert gc.isenabled()
    assert multiprocessing.active_children() == []
