"""The report's traffic section: a flow map (SVG) and the plan, escaped like everything else."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

from imagewarden.app import Workspace, installed_capabilities, open_store
from imagewarden.app.assessment import assess
from imagewarden.app.reports import ReportFormat, write_report
from imagewarden.catalog import Catalog
from imagewarden.traffic import api
from tests.traffic import department as dept

NOW = dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)


def _report(tmp_path: Path, catalog: Catalog, flows: tuple[dept.FlowRecord, ...]) -> str:
    store = open_store(str(tmp_path / "iw.db"), create=True)
    store.save_inventory(dept.department())
    with Workspace(store, catalog, installed_capabilities()) as workspace:
        api.apply(workspace, dept.batch(flows), now=NOW)
        assess(workspace)
        out = tmp_path / "report.html"
        write_report(workspace, ReportFormat.HTML, out)
        return out.read_text()


def test_the_report_shows_the_flow_map_and_the_plan(tmp_path: Path, catalog: Catalog) -> None:
    html = _report(tmp_path, catalog, dept.flows())
    section = html[html.index('id="traffic"') :]
    assert "Traffic and segmentation" in html
    (svg,) = re.findall(r'<svg[^>]*class="chart flowmap".*?</svg>', section, re.S)
    assert "Archives (PACS/VNA)" in svg and "Modalities" in svg
    assert 'stroke-dasharray="6 4"' in svg  # the would-be-blocked flows
    assert "Ct-1 to Pacs-1 port 104 (dicom, clear text" in svg
    assert "Allow-list from observed flows" in section
    assert "Would be blocked" in section and "ROGUE is not in the inventory" in section
    assert "CT1 → PACS1" in section


def test_names_from_captures_are_text_never_markup(tmp_path: Path, catalog: Catalog) -> None:
    evil = dataclasses.replace(dept.flows()[7], calling_ae="<script>x</script>")
    html = _report(tmp_path, catalog, (evil, dept.flows()[0]))
    assert "<script>x" not in html
    assert "&lt;script&gt;x" in html


def test_the_json_report_carries_the_section(tmp_path: Path, catalog: Catalog) -> None:
    store = open_store(str(tmp_path / "iw.db"), create=True)
    store.save_inventory(dept.department())
    with Workspace(store, catalog, installed_capabilities()) as workspace:
        api.apply(workspace, dept.batch(), now=NOW)
        assess(workspace)
        out = tmp_path / "report.json"
        write_report(workspace, ReportFormat.JSON, out)
    text = out.read_text()
    data = json.loads(text)
    assert "traffic" in json.dumps(data)


def test_host_names_on_the_flow_map_are_wrapped_never_cut() -> None:
    from imagewarden.traffic.flowmap import LINE_CHARS, wrap

    assert wrap("Enterprise Viewer (DICOMweb)") == ["Enterprise Viewer", "(DICOMweb)"]
    assert wrap("Stroke and ICH Triage AI (cloud)") == ["Stroke and ICH Triage AI", "(cloud)"]
    word = "discovered-10-20-125-250-and-more"
    assert "".join(wrap(word)) == word
    assert all(len(line) <= LINE_CHARS for line in wrap(word))
    assert wrap("CT 1") == ["CT 1"] and wrap("") == [""]
