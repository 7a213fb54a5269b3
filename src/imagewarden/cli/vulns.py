"""``imagewarden feeds`` and ``imagewarden vulns``, plus ``import sbom|mds2`` and
``findings export-vex``: parse the options, call ``imagewarden.vulns.api``, render."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from imagewarden.cli.formats import STDOUT, JsonAlias, print_json, print_paths, stdout_file
from imagewarden.cli.state import err, out, state
from imagewarden.model import FindingStatus
from imagewarden.vulns import api
from imagewarden.vulns.details import VulnFinding
from imagewarden.vulns.interface import Confidence, Priority

feeds_app = typer.Typer(help="Import and update vulnerability feeds.", no_args_is_help=True)
vulns_app = typer.Typer(help="Vulnerabilities matched to assets.", no_args_is_help=True)


class ListFormat(StrEnum):
    """Output of a listing."""

    TABLE = "table"
    JSON = "json"
    CSV = "csv"


class StatusFormat(StrEnum):
    """Output of ``feeds status``."""

    TABLE = "table"
    JSON = "json"


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
    result = api.import_feeds(state(ctx).workspace(), paths)
    for item in result.files:
        skipped = f", {item.skipped} unchanged" if item.skipped else ""
        err.print(f"{item.file}: {item.kind.value}, {item.records} records{skipped}")
    err.print(f"{len(result.files)} feed files imported; run 'imagewarden assess' to re-evaluate")


@feeds_app.command("update")
def update_feeds(
    ctx: typer.Context,
    dest: Annotated[Path, typer.Option(help="Folder for downloaded feed files.")] = Path(
        "imagewarden-feeds"
    ),
    timeout: Annotated[float, typer.Option(min=0.1, max=120, help="Seconds per request.")] = 10.0,
    mirror: Annotated[
        str | None,
        typer.Option(
            help="Download every feed from this mirror (its file names under this address); "
            "https://user:password@host/path/ sends basic authentication."
        ),
    ] = None,
    kev_url: Annotated[str | None, typer.Option(help="Override the CISA KEV address.")] = None,
    epss_url: Annotated[str | None, typer.Option(help="Override the EPSS address.")] = None,
    nvd_url: Annotated[str | None, typer.Option(help="Override the NVD API address.")] = None,
) -> None:
    """Download KEV, EPSS and the last week of NVD changes, then import them."""
    request = api.FeedUpdateRequest(
        dest=dest,
        timeout=timeout,
        mirror=mirror,
        kev_url=kev_url,
        epss_url=epss_url,
        nvd_url=nvd_url,
    )
    result = api.update_feeds(
        state(ctx).workspace(), request, progress=lambda step: err.print(f"{step} ...")
    )
    print_paths(result.downloaded)
    for item in result.imports:
        err.print(f"{item.file}: {item.kind.value}, {item.records} records")


@feeds_app.command("status")
def feeds_status(
    ctx: typer.Context,
    output: Annotated[
        StatusFormat, typer.Option("--format", case_sensitive=False, help="table or json.")
    ] = StatusFormat.TABLE,
    as_json: JsonAlias = False,
) -> None:
    """How many CVEs, KEV entries, EPSS scores and advisory mentions are stored."""
    status = api.feed_status(state(ctx).workspace())
    counts = status.counts
    numbers = {
        "cves": counts.cves,
        "cpe_matches": counts.cpe_matches,
        "mentions": counts.mentions,
        "kev": counts.kev,
        "epss": counts.epss,
        "components": counts.components,
    }
    if as_json or output is StatusFormat.JSON:
        latest = [
            {
                "kind": r.kind.value,
                "file": r.file,
                "imported_at": r.imported_at.isoformat(),
                "records": r.records,
                "skipped": r.skipped,
            }
            for r in status.latest
        ]
        print_json({**numbers, "latest": latest})
        return
    table = Table(title="stored")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, number in numbers.items():
        table.add_row(name, str(number))
    out.print(table)
    if status.latest:
        imports = Table(title="latest import of each feed")
        for column in ("feed", "imported at", "records", "file"):
            imports.add_column(column, overflow="fold")
        for r in status.latest:
            imports.add_row(
                r.kind.value, r.imported_at.isoformat(timespec="seconds"), str(r.records), r.file
            )
        out.print(imports)


def _as_json(row: VulnFinding) -> dict[str, object]:
    f = row.finding
    return {
        "id": f.id,
        "asset_id": f.asset_id,
        "site_id": f.site_id,
        "status": f.status.value,
        "severity": f.severity.value,
        "risk_score": f.risk.score,
        **row.details.to_extra(),
    }


@vulns_app.command("list")
def list_vulns(
    ctx: typer.Context,
    kev: Annotated[bool, typer.Option("--kev", help="Only known exploited (CISA KEV).")] = False,
    ransomware: Annotated[
        bool, typer.Option("--ransomware", help="Only those KEV says ransomware uses.")
    ] = False,
    epss_above: Annotated[
        float | None, typer.Option(min=0.0, max=1.0, help="Only EPSS above this (0..1).")
    ] = None,
    priority: Annotated[
        Priority | None, typer.Option(case_sensitive=False, help="Only this priority.")
    ] = None,
    confidence: Annotated[
        Confidence | None, typer.Option(case_sensitive=False, help="Only this match confidence.")
    ] = None,
    site: Annotated[str | None, typer.Option(help="Only this site id.")] = None,
    asset: Annotated[str | None, typer.Option(help="Only this asset id.")] = None,
    cve: Annotated[str | None, typer.Option(help="Only this CVE id.")] = None,
    status: Annotated[
        FindingStatus | None, typer.Option(case_sensitive=False, help="Only this status.")
    ] = None,
    output: Annotated[
        ListFormat, typer.Option("--format", case_sensitive=False, help="table, json or csv.")
    ] = ListFormat.TABLE,
    as_json: JsonAlias = False,
    limit: Annotated[int, typer.Option(min=0, help="Show at most this many (0: all).")] = 0,
) -> None:
    """CVE findings, most urgent first (act, attend, track; then risk)."""
    query = api.VulnQuery(
        site_id=site,
        asset_id=asset,
        cve=cve,
        kev_only=kev,
        ransomware_only=ransomware,
        epss_above=epss_above,
        priority=priority,
        confidence=confidence,
        status=status,
        limit=limit,
    )
    rows = api.list_vulns(state(ctx).workspace(), query)
    if as_json or output is ListFormat.JSON:
        print_json([_as_json(r) for r in rows])
        return
    if output is ListFormat.CSV:
        from imagewarden.render.csv import csv_text

        out.file.write(csv_text(api.VULN_COLUMNS, api.vuln_rows(rows)))
        return
    table = Table()
    for column in ("priority", "cve", "KEV", "EPSS", "CVSS", "asset", "site", "confidence"):
        table.add_column(column)
    table.add_column("match", overflow="fold")
    table.add_column("status")
    table.add_column("id", no_wrap=True, overflow="fold")
    for row in rows:
        d, f = row.details, row.finding
        flag = ("yes" + (" (ransomware)" if d.ransomware else "")) if d.kev else ""
        table.add_row(
            d.priority.value,
            d.cve,
            flag,
            d.epss_text,
            d.cvss_text,
            f.asset_id or "",
            f.site_id,
            d.confidence.value,
            d.match_summary.removeprefix(f"{d.confidence.value} match; "),
            f.status.value,
            f.id,
        )
    out.print(table)
    err.print(f"{len(rows)} vulnerability findings")


def import_sbom(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="CycloneDX SBOM (JSON or XML).")],
    asset: Annotated[str, typer.Option(help="Asset id the SBOM describes.")],
) -> None:
    """Attach a CycloneDX SBOM's components to an asset (replaces its earlier SBOM)."""
    result = api.import_sbom(state(ctx).workspace(), path, asset)
    err.print(f"{result.path}: {result.components} components attached to {result.asset_id}")


def import_mds2(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="MDS2 form (2019 edition, .xlsx).")],
    asset: Annotated[str, typer.Option(help="Asset id the form describes.")],
) -> None:
    """Record a manufacturer's MDS2 answers as facts of an asset."""
    result = api.import_mds2(state(ctx).workspace(), path, asset)
    err.print(
        f"{result.path}: {result.answers} answers, {result.facts} facts recorded for "
        f"{result.asset_id}"
    )


def export_vex(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write ('-': stdout).")],
    vex_format: Annotated[
        api.VexFormat,
        typer.Option("--format", case_sensitive=False, help="openvex or cyclonedx."),
    ] = api.VexFormat.OPENVEX,
    site: Annotated[str | None, typer.Option(help="Only this site id.")] = None,
) -> None:
    """Export the CVE findings and their triage decisions as VEX."""
    workspace = state(ctx).workspace()
    if output == STDOUT:
        with stdout_file("vex.json") as temporary:
            result = api.export_vex(workspace, temporary, vex_format, site_id=site)
        err.print(f"{result.statements} statements ({result.format.value})")
        return
    result = api.export_vex(workspace, output, vex_format, site_id=site)
    print_paths([result.path])
    err.print(f"{result.path}: {result.statements} statements ({result.format.value})")
