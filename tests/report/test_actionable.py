"""A security engineer can act on the report: every finding names its asset and its id, and
the ids the report and ``findings list`` show are the ones ``findings accept`` takes."""

from __future__ import annotations

import itertools
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli_runner import expect

INVENTORY = (
    "id,site,name,type,vendor,os,os_version,ip_addresses,hostname,network_zone,criticality,"
    "services,phi_stored,remote_access_mode,remote_access_mfa\n"
    "CT-1,North Hospital,CT 1,CT,GEHC,Windows 7,SP1,10.20.0.11,ct1.north.example,clinical,"
    "critical,dicom:104,yes,always on,no\n"
    "MR-1,North Hospital,MR 1,MR,Siemens Healthineers,Windows 10,1809,10.20.0.12;fd00::12,"
    "mr1.north.example,corporate,high,dicom:104,yes,none,\n"
    "US-1,South Clinic,US 1,US,Philips,Windows XP,,10.30.0.5,,flat,medium,dicom:104,yes,,\n"
)
ASSETS = {
    "CT-1": ("CT 1", "North Hospital", ("10.20.0.11",), "ct1.north.example"),
    "MR-1": ("MR 1", "North Hospital", ("10.20.0.12", "fd00::12"), "mr1.north.example"),
    "US-1": ("US 1", "South Clinic", ("10.30.0.5",), ""),
}


@pytest.fixture(scope="module")
def assessed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("actionable")
    db = folder / "iw.db"
    inventory = folder / "assets.csv"
    inventory.write_text(INVENTORY, encoding="utf-8")
    expect(0, "init", db=db)
    expect(0, "import", "inventory", inventory, db=db)
    expect(0, "assess", db=db)
    return db


def _findings(db: Path) -> list[dict[str, object]]:
    return list(json.loads(expect(0, "findings", "list", "--format", "json", db=db).stdout))


class Rows(HTMLParser):
    """The text of every table row in a section, with the hrefs it links and the ids it has."""

    def __init__(self, section: str) -> None:
        super().__init__(convert_charrefs=True)
        self.section = section
        self.depth = 0
        self.inside = False
        self.rows: list[dict[str, object]] = []
        self.ids: set[str] = set()
        self._row: dict[str, object] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "section":
            self.inside = values.get("id") == self.section
        if not self.inside:
            return
        if tag == "tr" and self._row is None:
            self._row = {"text": "", "links": [], "id": values.get("id"), "head": False}
        elif self._row is not None and tag == "a" and values.get("href"):
            self._row["links"].append(values["href"])  # type: ignore[attr-defined]
        elif self._row is not None and tag == "td":
            self._row["text"] = str(self._row["text"]) + " "

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row["text"] = str(self._row["text"]) + data


def _rows(page: str, section: str) -> tuple[list[dict[str, object]], set[str]]:
    parser = Rows(section)
    parser.feed(page)
    body = [r for r in parser.rows if "FACTOR" not in str(r["text"]).upper()[:40]]
    return body, parser.ids


def _finding_rows(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [r for r in rows if re.search(r"iwf-[0-9a-f]{20}", str(r["text"]))]


def test_every_finding_row_and_top_risk_names_asset_site_address_and_finding(
    assessed: Path, tmp_path: Path
) -> None:
    findings = _findings(assessed)
    out = tmp_path / "report.html"
    expect(0, "report", "-o", out, db=assessed)
    page = out.read_text(encoding="utf-8")
    for section in ("findings", "top-risks"):
        rows = _finding_rows(_rows(page, section)[0])
        assert rows, section
        for row in rows:
            text = " ".join(str(row["text"]).split())
            (finding_id,) = set(re.findall(r"iwf-[0-9a-f]{20}", text))
            finding = next(f for f in findings if f["id"] == finding_id)
            if finding["asset_id"] is None:
                continue
            name, site, addresses, hostname = ASSETS[str(finding["asset_id"])]
            assert str(finding["asset_id"]) in text, text
            assert name in text and site in text, text
            for address in addresses:
                assert address in text, text
            if hostname:
                assert hostname in text, text
    shown = set(re.findall(r"iwf-[0-9a-f]{20}", page))
    assert {str(f["id"]) for f in findings} <= shown


def test_report_links_each_asset_to_its_findings(assessed: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    expect(0, "report", "-o", out, db=assessed)
    page = out.read_text(encoding="utf-8")
    findings_rows, ids = _rows(page, "findings")
    heads = {str(r["id"]): str(r["text"]) for r in findings_rows if r["id"]}
    for asset_id in ASSETS:
        anchors = [a for a, text in heads.items() if asset_id in text]
        assert len(anchors) == 1, (asset_id, heads)
    top_rows = _finding_rows(_rows(page, "top-risks")[0])
    for row in top_rows:
        links = [str(h) for h in row["links"]]  # type: ignore[attr-defined]
        assert links and all(h.startswith("#") and h[1:] in ids for h in links), row
        named = [asset_id for asset_id in ASSETS if asset_id in str(row["text"])]
        if named:  # an asset's row links to its findings; a whole site's to the site's
            assert named[0] in heads[links[0][1:]]
        else:
            assert links[0].startswith("#site-")


def test_finding_commands_take_a_unique_prefix(assessed: Path) -> None:
    findings = _findings(assessed)
    ids = sorted(str(f["id"]) for f in findings)
    # The shortest prefix that names exactly one finding.
    target = ids[0]
    length = next(
        n for n in range(6, len(target)) if sum(i.startswith(target[:n]) for i in ids) == 1
    )
    prefix = target[:length]
    ran = expect(0, "findings", "accept", prefix, "--reason", "vendor patch booked",
                 "--until", "2099-01-01", db=assessed)  # fmt: skip
    assert target in ran.stderr
    ran = expect(0, "findings", "reopen", prefix, "--reason", "patch slipped", db=assessed)
    assert target in ran.stderr
    ran = expect(0, "findings", "false-positive", prefix, "--reason", "not reachable",
                 db=assessed)  # fmt: skip
    assert target in ran.stderr
    status = {str(f["id"]): f["status"] for f in _findings(assessed)}
    assert status[target] == "false_positive"
    expect(0, "findings", "reopen", prefix, "--reason", "back", db=assessed)
    ambiguous = "iwf-"  # too short, and every id starts with it
    assert expect(2, "findings", "reopen", ambiguous, "--reason", "x", db=assessed).stderr
    shared = next(
        (a[:n] for a, b in itertools.pairwise(ids) for n in range(6, 24)
         if a[:n] == b[:n] and a[: n + 1] != b[: n + 1]),
        None,
    )  # fmt: skip
    if shared is not None:
        ran = expect(2, "findings", "reopen", shared, "--reason", "x", db=assessed)
        assert "ambiguous" in ran.stderr


@pytest.mark.parametrize(
    "env",
    [
        pytest.param({"COLUMNS": "40"}, id="pipe"),
        pytest.param({"COLUMNS": "40", "TTY_COMPATIBLE": "1"}, id="narrow-terminal"),
        pytest.param({"COLUMNS": "200", "TTY_COMPATIBLE": "1"}, id="wide-terminal"),
    ],
)
def test_findings_list_never_cuts_an_id(assessed: Path, env: dict[str, str]) -> None:
    ids = {str(f["id"]) for f in _findings(assessed)}
    ran = expect(0, "findings", "list", db=assessed, env=env)
    shown = set(re.findall(r"iwf-[0-9a-f]+", ran.stdout))
    assert shown == ids
    assert "…" not in ran.stdout
    for finding_id in ids:
        line = next(line for line in ran.stdout.splitlines() if finding_id in line)
        assert re.search(rf"(^|\s|│){finding_id}(\s|$|│)", line), line


def test_findings_list_in_a_pipe_is_one_line_per_finding(assessed: Path) -> None:
    ran = expect(0, "findings", "list", db=assessed, env={"COLUMNS": "40"})
    lines = ran.stdout.splitlines()
    assert lines[0].split("\t")[0] == "id"
    findings = _findings(assessed)
    assert len(lines) == 1 + len(findings)
    first = findings[0]
    cells = lines[1].split("\t")
    assert cells[0] == first["id"] and cells[-1] == first["title"]
