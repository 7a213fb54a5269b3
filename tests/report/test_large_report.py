"""A report of a large assessment reads findings without their evidence, shows the evidence
of the top-risk assets only, and streams its findings section into the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jinja2
import pytest

from imagewarden.app import Workspace, open_workspace
from imagewarden.app.assessment import assess
from imagewarden.app.findings import FindingQuery, list_findings
from imagewarden.app.reports import ReportFormat, write_report
from imagewarden.inventory.api import import_inventory
from imagewarden.report import html as html_module
from tests.report.test_actionable import INVENTORY


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    inventory = tmp_path / "assets.csv"
    inventory.write_text(INVENTORY, encoding="utf-8")
    with open_workspace(str(tmp_path / "iw.db"), create=True, actor="test") as opened:
        import_inventory(opened, [inventory])
        assess(opened)
        yield opened


def test_findings_read_without_evidence(workspace: Workspace) -> None:
    store = workspace.store
    complete = {f.id: f for f in store.findings()}
    assert any(f.evidence for f in complete.values())
    light = store.findings(evidence=False)
    assert [f.id for f in light] == list(complete)
    assert all(f.evidence == {} for f in light)
    assert {f.id: f.title for f in light} == {f.id: f.title for f in complete.values()}
    assert store.finding_count() == len(complete)


def test_large_report_shows_evidence_of_top_risk_assets(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(html_module, "DETAIL_LIMIT", 1)
    out = tmp_path / "report.html"
    write_report(workspace, ReportFormat.HTML, out)
    page = out.read_text(encoding="utf-8")
    assert "Grouped by weakness" in page
    top = max(
        (f for f in workspace.store.findings() if f.evidence and f.asset_id),
        key=lambda f: f.risk.score,
    )
    key = next(iter(top.evidence))
    assert f"<dt>{key}</dt>" in page


def test_failure_while_streaming_findings_keeps_previous_report(
    workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*_args: object) -> object:
        raise RuntimeError("failed in the findings section")

    monkeypatch.setattr(html_module, "DETAIL_LIMIT", 1)
    monkeypatch.setattr(html_module, "group_by_check", fail)
    out = tmp_path / "report.html"
    out.write_text("previous report", encoding="utf-8")
    with pytest.raises(RuntimeError, match="findings section"):
        write_report(workspace, ReportFormat.HTML, out)
    assert out.read_text(encoding="utf-8") == "previous report"
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_listing_reads_at_most_limit_findings_without_evidence(workspace: Workspace) -> None:
    everything = list_findings(workspace)
    assert any(f.evidence for f in everything)
    listed = list_findings(workspace, FindingQuery(limit=2, evidence=False))
    assert [f.id for f in listed] == [f.id for f in everything[:2]]
    assert all(f.evidence == {} for f in listed)


# The weakness groups' affected-assets cell as the template wrote it before it was built in
# Python: the filter must give the page the same markup, escaped the same way.
_AFFECTED_LOOP = (
    "{% for a in assets %}{% if a.asset_id in anchored %}"
    '<a href="#{{ a.asset_id|asset_anchor }}">{{ a.name }}</a>'
    "{% else %}{{ a.name }}{% endif %}"
    "{% if a.asset_id %} <code>{{ a.asset_id }}</code>{% endif %}"
    '{{ ", " if not loop.last }}{% endfor %}'
)


def test_affected_assets_are_escaped_and_linked_as_the_template_did() -> None:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["asset_anchor"] = html_module.asset_anchor
    loop = env.from_string(_AFFECTED_LOOP)
    assets = (
        html_module.AffectedAsset("CT-1", 'CT <1> & "A"'),
        html_module.AffectedAsset("ws/<b>'9'", "Work<station>"),
        html_module.AffectedAsset(None, "whole site"),
        html_module.AffectedAsset("MR-1", "MR 1"),
    )
    anchored = frozenset({"CT-1", "ws/<b>'9'"})
    built = html_module.affected_markup(assets, anchored)
    assert built == loop.render(assets=assets, anchored=anchored)
    assert "<1>" not in built and "<b>" not in built and "<station>" not in built
    assert f'<a href="#{html_module.asset_anchor("CT-1")}">CT &lt;1&gt; &amp; ' in built
    assert "MR 1 <code>MR-1</code>" in built
    assert html_module.affected_markup((), anchored) == ""
