"""The demo as one call: a fresh database, the demo health system, every capability, reports.

The command line (``imagewarden demo``) and the web workspace (``demo --serve``) both call
``run_demo``; it prints nothing and reports progress through a callback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

from imagewarden.app import Workspace, installed_capabilities, load_catalog, open_store
from imagewarden.app.assessment import AssessmentSummary, assess
from imagewarden.app.reports import DEFAULT_TITLE, ReportFormat, write_board, write_report
from imagewarden.model import UserInputError

DEMO_DB = "imagewarden-demo.db"
ENTERPRISE = "Demo Health System (synthetic)"
STEPS = ("inventory", "database", "import", "discover", "traffic", "feeds", "governance",
         "resilience", "assess", "reports")  # fmt: skip
DEMO_CAPTURE = "riverside-lab.pcapng"
"""Real traffic recorded by scripts/record_demo_capture.py (see demo/captures/README.md)."""
CAPTURE_SITE = "riverside"


@dataclass(frozen=True, slots=True)
class DemoResult:
    """What the demo produced."""

    database: Path
    report: Path
    """The HTML readiness report."""
    files: tuple[Path, ...]
    """Every document written, the report first."""
    assets: int
    """Managed assets: the inventory's, as the report counts them."""
    sites: int
    """Sites holding managed assets (not a site discovery made for what it found)."""
    unmanaged: int
    """Hosts found by discovery, capture analysis or in the inventory as unmanaged."""
    assessment: AssessmentSummary
    lab_discovered: bool
    """False when the lab's 127.0.0.x ports were busy and discovery was skipped."""
    traffic_flows: int
    """Flows read from the demo's packet capture."""


def _fresh_database(folder: Path) -> Path:
    """The demo always starts from an empty database of its own, in its own folder."""
    path = folder / DEMO_DB
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def analyze_demo_capture(workspace: Workspace) -> int:
    """Analyse the demo's own capture and store it for Riverside; the flows it held."""
    from imagewarden.traffic import api as traffic

    with as_file(files("imagewarden.demo") / "captures" / DEMO_CAPTURE) as capture:
        batch = traffic.analyze([capture], site_id=CAPTURE_SITE)
    return traffic.apply(workspace, batch, site_id=CAPTURE_SITE).flows


def run_demo(
    out_dir: Path,
    *,
    catalog_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _step: None,
) -> DemoResult:
    """Assess the embedded demo health system and write its reports into ``out_dir``."""
    from imagewarden.demo.enterprise import write_demo_inventory
    from imagewarden.demo.history import write_demo_governance_outputs, write_demo_history
    from imagewarden.discovery.lab.demo import discover_lab
    from imagewarden.inventory import ImportContext, read_inventory
    from imagewarden.resilience.demo import run_demo as run_resilience_demo
    from imagewarden.vulns.demo_feeds import import_demo_feeds

    if out_dir.exists() and not out_dir.is_dir():
        raise UserInputError("exists and is not a folder", hint=str(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    capabilities = installed_capabilities()
    catalog = load_catalog(catalog_dir, capabilities)
    progress("writing the demo inventory")
    inventory_path = write_demo_inventory(out_dir / "inventory.json")
    progress("creating the database")
    database = _fresh_database(out_dir)
    with Workspace(
        open_store(str(database), create=True, capabilities=capabilities), catalog, capabilities
    ) as workspace:
        store = workspace.store
        progress("importing the inventory")
        context = ImportContext(catalog, observed_at=dt.datetime.now(dt.UTC))
        store.save_inventory(
            read_inventory(inventory_path, context), actor=workspace.actor, source="demo"
        )
        progress("discovering the local DICOM lab (127.0.0.x)")
        lab = discover_lab(workspace, out_dir) is not None
        progress("analysing the demo's packet capture (flows at Riverside)")
        traffic_flows = analyze_demo_capture(workspace)
        progress("importing the demo vulnerability feeds")
        import_demo_feeds(store, catalog)
        progress("governance: a year of answers, training, phishing and maturity")
        write_demo_history(store, catalog, out_dir / "governance")
        progress("resilience: backup check, IR plan, drill, tabletop")
        run_resilience_demo(workspace, out_dir)
        progress("assessing")
        summary = assess(workspace)
        progress("writing reports")
        report = out_dir / "report.html"
        files = [report, out_dir / "findings.json", out_dir / "findings.csv"]
        formats = (ReportFormat.HTML, ReportFormat.JSON, ReportFormat.CSV)
        for path, fmt in zip(files, formats, strict=True):
            write_report(workspace, fmt, path, title=DEFAULT_TITLE, enterprise=ENTERPRISE)
        files += write_demo_governance_outputs(workspace, out_dir, ENTERPRISE)
        files += write_board(workspace, out_dir, enterprise=ENTERPRISE).paths
        assets = store.assets()
    managed = [a for a in assets if a.managed]
    return DemoResult(
        database=database,
        report=report,
        files=tuple(files),
        assets=len(managed),
        sites=len({a.site_id for a in managed}),
        unmanaged=len(assets) - len(managed),
        assessment=summary,
        lab_discovered=lab,
        traffic_flows=traffic_flows,
    )
