"""Hostile input to every vulnerability importer: a clean exit 2 naming the file and the limit,
within 1 GiB of memory and a time cap; never a kill, a hang or a traceback.

Each case was found by a tester on the code before these limits (memory in brackets):
feed JSON nested 200 KB deep (10.6 GB), an MDS2 .xlsx with 26 million cells (14.9 GB), 100
million shared strings (3.9 GB) or a 2 GiB shared string (4.3 GB), an EPSS .csv.gz with a
5 GiB line (10.6 GB, then a traceback); RecursionError on JSON nested 100,000 deep in an
SBOM or CSAF file and on SBOM XML nested 1,000 deep; tracebacks on a malformed sheet, an
over-long EPSS field and a truncated gzip file.
"""

from __future__ import annotations

import base64
import gzip
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from imagewarden.app import open_store
from imagewarden.readers.limits import (
    CELL_CHARS,
    COLUMNS,
    JSON_DEPTH,
    LINE_BYTES,
    SHARED_STRINGS,
    SHEET_CELLS,
    XML_DEPTH,
    Limit,
)
from tests.capped import run_capped
from tests.factories import asset, inventory
from tests.vulns import hostile

pytestmark = pytest.mark.slow

SECONDS = 120
"""Generous: these run on a shared, busy machine; a hang still fails the test."""


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one asset (CT-1) that SBOMs and MDS2 forms can be attached to."""
    path = tmp_path_factory.mktemp("hostile") / "iw.db"
    with open_store(str(path), create=True) as store:
        store.save_inventory(inventory(asset("CT-1", services=())))
    return path


def _refused(db: Path, *args: str | Path, limit: Limit | None = None, text: str = "") -> str:
    """Run the command capped; it must exit 2 with one clean error line."""
    done = run_capped("--db", db, *args, seconds=SECONDS)
    output = done.stdout + done.stderr
    assert done.returncode == 2, f"exit {done.returncode}\n{output[-2000:]}"
    assert "Traceback" not in output and "this is a bug" not in output
    error = done.stderr.strip().splitlines()[-1]
    hostile_file = next(a for a in args if isinstance(a, Path))
    assert error.startswith("error: ") and str(hostile_file) in error, error
    if limit is not None:
        assert limit.variable in error, error
    assert text in error, error
    return error


def test_feed_json_nested_200k_deep(db: Path, tmp_path: Path) -> None:
    nested = tmp_path / "feed.json"
    nested.write_bytes(
        b'{"vulnerabilities": [' + hostile.deep_json(200_000) + b"]}"
    )  # 400 KB on disk
    _refused(db, "feeds", "import", nested, limit=JSON_DEPTH)
    inside = tmp_path / "record.json"
    inside.write_bytes(b'{"vulnerabilities": [{"cve": ' + hostile.deep_json(200_000) + b"}]}")
    _refused(db, "feeds", "import", inside, limit=JSON_DEPTH)


def test_mds2_with_26_million_cells(db: Path, tmp_path: Path) -> None:
    form = hostile.xlsx_many_cells(tmp_path / "cells.xlsx")
    assert form.stat().st_size < 3_000_000
    _refused(db, "import", "mds2", form, "--asset", "CT-1", limit=COLUMNS)
    wide = hostile.xlsx_many_cells(tmp_path / "wide.xlsx", cells=100_000)
    error = _refused(db, "import", "mds2", wide, "--asset", "CT-1", limit=COLUMNS, text="row 1")
    assert "xl/worksheets/sheet1.xml" in error


def test_mds2_cells_in_all_are_bounded(db: Path, tmp_path: Path) -> None:
    form = hostile.xlsx_many_cells(tmp_path / "cells.xlsx", cells=300_000)
    limits = {COLUMNS.variable: "100000000", SHEET_CELLS.variable: "200000"}
    done = run_capped(
        "--db", db, "import", "mds2", form, "--asset", "CT-1", seconds=SECONDS, env=limits
    )
    assert done.returncode == 2 and SHEET_CELLS.variable in done.stderr, done.stderr


def test_mds2_with_100_million_shared_strings(db: Path, tmp_path: Path) -> None:
    form = hostile.xlsx_many_strings(tmp_path / "strings.xlsx")
    assert form.stat().st_size < 5_000_000
    _refused(db, "import", "mds2", form, "--asset", "CT-1", limit=SHARED_STRINGS)


def test_mds2_with_a_2_gib_shared_string(db: Path, tmp_path: Path) -> None:
    form = hostile.xlsx_huge_string(tmp_path / "huge.xlsx")
    _refused(db, "import", "mds2", form, "--asset", "CT-1", limit=CELL_CHARS)


def test_mds2_with_a_malformed_sheet(db: Path, tmp_path: Path) -> None:
    form = hostile.xlsx_malformed_sheet(tmp_path / "bad.xlsx")
    _refused(db, "import", "mds2", form, "--asset", "CT-1", text="invalid XML")


def test_epss_gzip_with_a_5_gib_line(db: Path, tmp_path: Path) -> None:
    feed = hostile.gzip_long_line(tmp_path / "epss_scores.csv.gz")
    assert feed.stat().st_size < 6_000_000
    _refused(db, "feeds", "import", feed, limit=LINE_BYTES)


def test_epss_field_over_the_csv_limits(db: Path, tmp_path: Path) -> None:
    feed = tmp_path / "epss.csv"
    feed.write_text("cve,epss,percentile\nCVE-2024-0001," + "9" * 200_000 + ",0.5\n")
    _refused(db, "feeds", "import", feed, limit=CELL_CHARS)


def test_truncated_gzip_feeds(db: Path, tmp_path: Path) -> None:
    body = b"cve,epss,percentile\n" + b"CVE-2024-0001,0.1,0.5\n" * 20_000
    packed = gzip.compress(body)
    feed = tmp_path / "epss.csv.gz"
    feed.write_bytes(packed[: len(packed) // 2])
    _refused(db, "feeds", "import", feed, text="truncated or corrupt")
    nvd = tmp_path / "nvd.json.gz"
    records = {"vulnerabilities": [{"cve": {"id": f"CVE-2024-{n:04d}"}} for n in range(2000)]}
    packed = gzip.compress(json.dumps(records).encode())
    nvd.write_bytes(packed[: len(packed) // 2])
    _refused(db, "feeds", "import", nvd, text="truncated or corrupt")
    garbage = tmp_path / "kev.json.gz"
    garbage.write_bytes(b"\x1f\x8b" + b"\x00" * 64)
    _refused(db, "feeds", "import", garbage)


def test_sbom_and_csaf_json_nested_100k_deep(db: Path, tmp_path: Path) -> None:
    sbom = tmp_path / "bom.json"
    sbom.write_bytes(
        b'{"bomFormat": "CycloneDX", "components": [{"name": "x", "hashes": '
        + hostile.deep_json(100_000)
        + b"}]}"
    )
    _refused(db, "import", "sbom", sbom, "--asset", "CT-1", limit=JSON_DEPTH)
    csaf = tmp_path / "advisory.json"
    csaf.write_bytes(b'{"document": {"x": ' + hostile.deep_json(100_000) + b"}}")
    _refused(db, "feeds", "import", csaf, limit=JSON_DEPTH)


def test_sbom_xml_nested_1000_deep(db: Path, tmp_path: Path) -> None:
    sbom = tmp_path / "bom.xml"
    sbom.write_text(
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.5"><components>'
        + "<component><name>x</name><components>" * 1000
        + "</components></component>" * 1000
        + "</components></bom>"
    )
    _refused(db, "import", "sbom", sbom, "--asset", "CT-1", limit=XML_DEPTH)


# --- credentials of a feed mirror (issue 12 item 6) --------------------------------------

CANARY = "Canary-Secret-7f3e91"


class _Mirror(http.server.BaseHTTPRequestHandler):
    """Serves feed files by name to the right login; 404 for everything else."""

    files: ClassVar[dict[str, bytes]] = {}
    expected = "Basic " + base64.b64encode(f"feeds:{CANARY}".encode()).decode()

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="feeds"')
            self.end_headers()
            return
        body = self.files.get(self.path.rsplit("/", 1)[-1])
        if body is not None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        """Quiet."""


@pytest.fixture
def mirror(shared: Path) -> Iterator[int]:
    kev = (shared / "kev" / "known_exploited_vulnerabilities.json").read_bytes()
    _Mirror.files = {"known_exploited_vulnerabilities.json": kev}
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Mirror)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_mirror_credentials_never_appear_in_any_output(
    db: Path, tmp_path: Path, mirror: int
) -> None:
    log = tmp_path / "iw.log"
    dest = tmp_path / "feeds"
    outputs = []
    for url in (
        f"http://feeds:{CANARY}@127.0.0.1:{mirror}/feeds",  # KEV downloads, EPSS is missing
        f"http://feeds:wrong-{CANARY}@127.0.0.1:{mirror}/feeds/",  # refused login
        f"http://feeds:{CANARY}@127.0.0.1:1/feeds/",  # nobody listens
        f"ftp://feeds:{CANARY}@127.0.0.1/feeds/",  # not http
    ):
        done = run_capped(
            "--db", db, "--debug", "--log-level", "debug", "--log-file", log,
            "feeds", "update", "--mirror", url, "--dest", dest, "--timeout", "5",
            seconds=SECONDS,
        )  # fmt: skip
        assert done.returncode == 2, done.stderr
        outputs.append(done.stdout + done.stderr)
    assert "cannot download FIRST EPSS from 127.0.0.1" in outputs[0]
    assert (dest / "known_exploited_vulnerabilities.json").is_file()  # the login worked
    assert "HTTP 401" in outputs[1] and "127.0.0.1:1" in outputs[2]
    logged = log.read_text()
    assert "downloading CISA KEV from http://***@127.0.0.1" in logged
    everything = "".join(outputs) + logged
    assert CANARY not in everything
    assert "Traceback" not in everything


def test_feeds_update_from_a_mirror_downloads_and_imports(
    db: Path, tmp_path: Path, mirror: int, shared: Path
) -> None:
    record = json.loads((shared / "nvd" / "CVE-2023-43208.json").read_text())
    _Mirror.files.update(
        {
            "epss_scores-current.csv.gz": gzip.compress(
                (shared / "epss" / "epss_subset.csv").read_bytes()
            ),
            "nvd-recent.json": json.dumps({"vulnerabilities": [{"cve": record}]}).encode(),
        }
    )
    dest = tmp_path / "feeds"
    done = run_capped(
        "--db", db, "feeds", "update", "--mirror",
        f"http://feeds:{CANARY}@127.0.0.1:{mirror}/mirror/", "--dest", dest,
        seconds=SECONDS,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = done.stdout.splitlines()
    assert written == [
        str(dest / "known_exploited_vulnerabilities.json"),
        str(dest / "epss_scores-current.csv.gz"),
        str(dest / "nvd-recent.json"),
    ]
    assert "nvd-recent.json: nvd, 1 records" in done.stderr
    assert CANARY not in done.stdout + done.stderr
