"""Fuzzing every vulnerability importer (bounded examples): any input is imported or refused
as a user error (exit 2), never a crash.

Inputs are generated near the formats (feed-shaped JSON with the keys the readers look for,
CycloneDX SBOMs, MDS2 workbooks) and by damaging real files (cut short, bytes replaced), so
the examples reach deep into each reader rather than failing at the first byte.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from imagewarden.app import Workspace, installed_capabilities, load_catalog, open_store
from imagewarden.model import UserInputError
from imagewarden.vulns import api
from tests.factories import asset, inventory

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
FUZZ = settings(
    # More for a long local run: IMAGEWARDEN_FUZZ_EXAMPLES=2000.
    max_examples=int(os.environ.get("IMAGEWARDEN_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
KEYS = (
    "vulnerabilities", "cve", "id", "published", "lastModified", "vulnStatus", "descriptions",
    "lang", "value", "configurations", "operator", "nodes", "negate", "cpeMatch", "criteria",
    "vulnerable", "versionEndExcluding", "versionStartIncluding", "metrics", "cvssMetricV31",
    "cvssData", "baseScore", "type", "document", "tracking", "product_tree", "branches",
    "category", "name", "product", "product_id", "product_status", "known_affected",
    "catalogVersion", "cveID", "vendorProject", "dateAdded", "dueDate",
    "knownRansomwareCampaignUse", "bomFormat", "components", "version", "purl", "cpe",
    "supplier", "publisher", "group",
)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "CVE-2023-43208",
            "2024-05-20",
            "cpe:2.3:a:nextgen:mirth_connect:*:*:*:*:*:*:*:*",
            "cpe:2.3:a:x",
            "Primary",
            "AND",
            "OR",
            "en",
            "<1.5.8",
            "vers:generic/>=1.0|<2.0",
            "pkg:generic/a/b@1",
            "CycloneDX",
            "known",
            "",
        ]
    )
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=40,
)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    db = tmp_path_factory.mktemp("fuzz") / "iw.db"
    store = open_store(str(db), create=True)
    store.save_inventory(inventory(asset("CT-1", services=())))
    with Workspace(store, load_catalog(), installed_capabilities(), actor="fuzz") as opened:
        yield opened


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-files")


def _imported_or_refused(action: Any) -> None:
    """The importer either succeeds or raises UserInputError; anything else is a crash."""
    try:
        action()
    except UserInputError as exc:
        assert str(exc).strip() and "\n" not in exc.message, repr(exc.message)


def _damaged(data: bytes, draw: Any) -> bytes:
    """Cut short, or some bytes replaced (positions drawn as fractions of the length, so
    the draws do not depend on the data: a workbook's bytes change with its save time)."""
    fraction = st.floats(0, 1, allow_nan=False)
    if draw(st.booleans()):
        return data[: int(draw(fraction) * len(data))]
    edits = draw(st.lists(st.tuples(fraction, st.binary(max_size=4)), max_size=6))
    out = bytearray(data)
    for at, replacement in edits:
        position = min(int(at * len(out)), max(0, len(out) - 1))
        out[position : position + len(replacement)] = replacement
    return bytes(out)


SEEDS = [
    SHARED / "nvd" / "CVE-2023-43208.json",
    SHARED / "csaf" / "icsma-24-060-01.json",
    SHARED / "epss" / "epss_subset.csv",
]


@FUZZ
@given(
    wrapper=st.sampled_from(["vulnerabilities", "cve", "document", "kev", "plain"]),
    value=JSON_VALUES,
    packed=st.booleans(),
)
def test_feed_shaped_json(
    workspace: Workspace, folder: Path, wrapper: str, value: Any, packed: bool
) -> None:
    shapes: dict[str, Any] = {
        "vulnerabilities": {"vulnerabilities": [{"cve": value}, value]},
        "cve": {"id": "CVE-2024-0001", "descriptions": value, "published": value},
        "document": {"document": {"tracking": {"id": "A-1"}}, "product_tree": value,
                     "vulnerabilities": value},
        "kev": {"catalogVersion": "1", "vulnerabilities": [{"cveID": value}, value]},
        "plain": value,
    }  # fmt: skip
    data = json.dumps(shapes[wrapper], allow_nan=True).encode()
    path = folder / ("feed.json.gz" if packed else "feed.json")
    path.write_bytes(gzip.compress(data) if packed else data)
    _imported_or_refused(lambda: api.import_feeds(workspace, [path]))


@FUZZ
@given(seed=st.sampled_from(SEEDS), data=st.data())
def test_damaged_real_feed_files(
    workspace: Workspace, folder: Path, seed: Path, data: st.DataObject
) -> None:
    damaged = _damaged(seed.read_bytes(), data.draw)
    if data.draw(st.booleans()):
        damaged = _damaged(gzip.compress(damaged), data.draw)
        path = folder / f"damaged{seed.suffix}.gz"
    else:
        path = folder / f"damaged{seed.suffix}"
    path.write_bytes(damaged)
    _imported_or_refused(lambda: api.import_feeds(workspace, [path]))


@FUZZ
@given(
    header=st.sampled_from(["cve,epss,percentile", "cve,epss", "cve,epss,percentile,epss_date"]),
    rows=st.lists(st.lists(st.text(max_size=12), max_size=5), max_size=6),
)
def test_epss_rows(workspace: Workspace, folder: Path, header: str, rows: list[list[str]]) -> None:
    text = "#model_version:v1,score_date:2025-01-01\n" + header + "\n"
    text += "\n".join(",".join(row) for row in rows)
    path = folder / "epss.csv"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    _imported_or_refused(lambda: api.import_feeds(workspace, [path]))


SBOM_XML = (
    b'<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5" version="1">'
    b'<components><component type="library"><supplier><name>OFFIS</name></supplier>'
    b"<name>dcmtk</name><version>3.6.7</version>"
    b"<cpe>cpe:2.3:a:offis:dcmtk:3.6.7:*:*:*:*:*:*:*</cpe>"
    b"<purl>pkg:generic/offis/dcmtk@3.6.7</purl></component></components></bom>"
)


@FUZZ
@given(components=JSON_VALUES, extra=JSON_VALUES)
def test_sbom_json(workspace: Workspace, folder: Path, components: Any, extra: Any) -> None:
    path = folder / "bom.json"
    doc = {"bomFormat": "CycloneDX", "specVersion": "1.5", "components": components, "x": extra}
    path.write_text(json.dumps(doc, allow_nan=True))
    _imported_or_refused(lambda: api.import_sbom(workspace, path, "CT-1"))


@FUZZ
@given(data=st.data())
def test_damaged_sbom_xml(workspace: Workspace, folder: Path, data: st.DataObject) -> None:
    path = folder / "bom.xml"
    path.write_bytes(_damaged(SBOM_XML, data.draw))
    _imported_or_refused(lambda: api.import_sbom(workspace, path, "CT-1"))


def _workbook(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


CELLS = (
    st.sampled_from(["MPII-2", "STCF-1", "SBOM-1", "Yes", "No", "N/A", "See note", ""])
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0xD7FF), max_size=20)
)


@FUZZ
@given(rows=st.lists(st.lists(CELLS, max_size=6), max_size=8), data=st.data())
def test_mds2_workbooks(
    workspace: Workspace, folder: Path, rows: list[list[Any]], data: st.DataObject
) -> None:
    content = _workbook(rows)
    if data.draw(st.booleans()):
        content = _damaged(content, data.draw)
    path = folder / "mds2.xlsx"
    path.write_bytes(content)
    _imported_or_refused(lambda: api.import_mds2(workspace, path, "CT-1"))
