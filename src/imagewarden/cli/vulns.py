"""``imagewarden feeds`` and ``imagewarden vulns``, plus ``import sbom|mds2`` and
``findings export-vex``: vulnerability intelligence on the command line."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.cli.state import err, out, state
from imagewarden.model import Finding, FindingStatus, Location, UserInputError
from imagewarden.render.atomic import write_text_atomic
from imagewarden.store import FindingFilter, Store
from imagewarden.vulns.feeds.download import Source, default_sources, download
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.interface import Priority
from imagewarden.vulns.producer import CVE_CHECK, KEV_CHECK
from imagewarden.vulns.repository import VulnStore
from imagewarden.vulns.vex import cyclonedx, openvex

feeds_app = typer.Typer(help="Import and update vulnerability feeds.", no_args_is_help=True)
vulns_app = typer.Typer(help="Vulnerabilities matched to assets.", no_args_is_help=True)


@feeds_app.command("import")
def import_feeds(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="NVD 2.0 JSON, CISA KEV JSON, EPSS CSV (.gz) or CSAF JSON files or folders."
        ),
    ],
) -> None:
    """Import feed files (kind detected from content); each file is all or nothing."""
    cli = state(ctx)
    importer = FeedImporter(VulnStore(cli.store().engine), cli.catalog)
    results = importer.import_paths(paths)
    for result in results:
        skipped = f", {result.skipped} unchanged" if result.skipped else ""
        err.print(f"{result.file}: {result.kind}, {result.records} records{skipped}")
    err.print(f"{len(results)} feed files imported; run 'imagewarden assess' to re-evaluate")


@feeds_app.command("update")
def update_feeds(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Option(help="Folder for downloaded feed files.")] = Path(
        "imagewarden-feeds"
    ),
    timeout: Annotated[float, typer.Option(min=0.1, max=120, help="Seconds per request.")] = 10.0,
    kev_url: Annotated[str | None, typer.Option(help="Override the CISA KEV address.")] = None,
    epss_url: Annotated[str | None, typer.Option(help="Override the EPSS address.")] = None,
    nvd_url: Annotated[str | None, typer.Option(help="Override the NVD API address.")] = None,
) -> None:
    """Download KEV, EPSS and the last week of NVD changes, then import them."""
    sources = default_sources(dt.date.today())
    overrides = {"CISA KEV": kev_url, "FIRST EPSS": epss_url}
    chosen = [
        Source(
            s.name,
            overrides.get(s.name) or (nvd_url if s.name.startswith("NVD") and nvd_url else s.url),
            s.file,
        )
        for s in sources
    ]
    cli = state(ctx)
    store = cli.store()
    files = []
    for source in chosen:
        err.print(f"downloading {source.name} ...")
        files.append(download(source, dest, timeout))
    results = FeedImporter(VulnStore(store.engine), cli.catalog).import_paths(files)
    for result in results:
        err.print(f"{result.file}: {result.kind}, {result.records} records")


@feeds_app.command("status")
def feeds_status(ctx: typer.Context) -> None:
    """How many CVEs, KEV entries, EPSS scores and advisory mentions are stored."""
    counts = VulnStore(state(ctx).store().engine).counts()
    out.print_json(json.dumps(counts))


class ListFormat(StrEnum):
    TABLE = "table"
    JSON = "json"


def vuln_findings(store: Store, site: str | None = None) -> list[Finding]:
    found: list[Finding] = []
    for check in (KEV_CHECK, CVE_CHECK):
        found.extend(store.findings(FindingFilter(site_id=site, check_id=check)))
    return found


_ORDER = {Priority.ACT.value: 0, Priority.ATTEND.value: 1, Priority.TRACK.value: 2}


def _sort_key(f: Finding) -> tuple[int, int, str]:
    return (_ORDER.get(str(f.extra.get("priority")), 3), -f.risk.score, f.id)


@vulns_app.command("list")
def list_vulns(
    ctx: typer.Context,
    kev: Annotated[bool, typer.Option("--kev", help="Only known exploited (CISA KEV).")] = False,
    epss_above: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Only EPSS above this (0..1).")
    ] = None,
    priority: Annotated[
        Priority | None, typer.Option(case_sensitive=False, help="Only this priority.")
    ] = None,
    site: Annotated[str | None, typer.Option(help="Only this site id.")] = None,
    status: Annotated[
        FindingStatus | None, typer.Option(case_sensitive=False, help="Only this status.")
    ] = None,
    output: Annotated[
        ListFormat, typer.Option("--format", case_sensitive=False, help="table or json.")
    ] = ListFormat.TABLE,
    limit: Annotated[int, typer.Option(min=0, help="Show at most this many (0: all).")] = 0,
) -> None:
    """CVE findings, most urgent first (act, attend, track; then risk)."""
    rows = vuln_findings(state(ctx).store(), site)
    if kev:
        rows = [f for f in rows if f.extra.get("kev") is True]
    if epss_above is not None:
        rows = [f for f in rows if float(f.extra.get("epss", -1.0)) > epss_above]
    if priority is not None:
        rows = [f for f in rows if f.extra.get("priority") == priority.value]
    if status is not None:
        rows = [f for f in rows if f.status is status]
    rows.sort(key=_sort_key)
    if limit:
        rows = rows[:limit]
    if output is ListFormat.JSON:
        data = [
            {
                "id": f.id,
                "asset_id": f.asset_id,
                "site_id": f.site_id,
                "status": f.status.value,
                "severity": f.severity.value,
                "risk_score": f.risk.score,
                **dict(f.extra),
            }
            for f in rows
        ]
        out.print_json(json.dumps(data))
        return
    table = Table()
    for column in (
        "priority",
        "cve",
        "KEV",
        "EPSS",
        "CVSS",
        "asset",
        "site",
        "confidence",
        "status",
        "id",
    ):
        table.add_column(column)
    for f in rows:
        epss = f.extra.get("epss")
        flag = "yes" + (" (ransomware)" if f.extra.get("kev_ransomware") else "")
        table.add_row(
            str(f.extra.get("priority", "")),
            str(f.extra.get("cve", "")),
            flag if f.extra.get("kev") else "",
            f"{float(epss):.1%}" if isinstance(epss, int | float) else "",
            str(f.extra.get("cvss", "")),
            f.asset_id or "",
            f.site_id,
            str(f.extra.get("confidence", "")),
            f.status.value,
            f.id,
        )
    out.print(table)
    err.print(f"{len(rows)} vulnerability findings")


def _known_asset(store: Store, asset_id: str) -> None:
    if asset_id not in {a.id for a in store.assets()}:
        raise UserInputError(
            f"no asset with id {asset_id!r}", hint="see 'imagewarden findings list'"
        )


def import_sbom(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CycloneDX SBOM (JSON or XML).")],
    asset: Annotated[str, typer.Option(help="Asset id the SBOM describes.")],
) -> None:
    """Attach a CycloneDX SBOM's components to an asset (replaces its earlier SBOM)."""
    from imagewarden.vulns.sbom import read_sbom

    store = state(ctx).store()
    _known_asset(store, asset)
    components = read_sbom(path)
    VulnStore(store.engine).replace_components(asset, components, f"sbom:{path.name}")
    err.print(f"{path}: {len(components)} components attached to {asset}")


def import_mds2(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="MDS2 form (2019 edition, .xlsx).")],
    asset: Annotated[str, typer.Option(help="Asset id the form describes.")],
) -> None:
    """Record a manufacturer's MDS2 answers as facts of an asset."""
    from imagewarden.vulns.mds2 import read_mds2  # openpyxl loads slowly; only here

    store = state(ctx).store()
    _known_asset(store, asset)
    form = read_mds2(path, asset, dt.datetime.now(dt.UTC))
    VulnStore(store.engine).replace_observations(form.observations)
    err.print(
        f"{path}: {len(form.answers)} answers, {len(form.observations)} facts recorded for {asset}"
    )


class VexFormat(StrEnum):
    OPENVEX = "openvex"
    CYCLONEDX = "cyclonedx"


def export_vex(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    vex_format: Annotated[
        VexFormat, typer.Option("--format", case_sensitive=False, help="openvex or cyclonedx.")
    ] = VexFormat.OPENVEX,
    site: Annotated[str | None, typer.Option(help="Only this site id.")] = None,
) -> None:
    """Export the CVE findings and their triage decisions as VEX."""
    if output.exists() and output.is_dir():
        raise UserInputError("is a folder", Location(str(output)))
    store = state(ctx).store()
    rows = sorted(vuln_findings(store, site), key=lambda f: (str(f.extra.get("cve")), f.id))
    now = dt.datetime.now(dt.UTC)
    document = (
        openvex(rows, now)
        if vex_format is VexFormat.OPENVEX
        else cyclonedx(rows, store.assets(), now)
    )
    write_text_atomic(output, json.dumps(document, indent=2) + "\n")
    err.print(f"{output}: {len(rows)} statements ({vex_format.value})")
