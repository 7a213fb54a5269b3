"""The vulnerability capability's application API: one typed function per operation.

The command line, the web workspace and site workers call these with a ``Workspace``; they
return frozen results and print nothing. Every import is audited (one entry per file, with
its counts) under the workspace's actor.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.model import FindingStatus, Location, UserInputError
from imagewarden.render.atomic import write_text_atomic
from imagewarden.render.csv import Cell
from imagewarden.store import FindingFilter
from imagewarden.vulns.details import VULN_CHECKS, VulnFinding
from imagewarden.vulns.feeds.download import Source, default_sources, download, mirrored
from imagewarden.vulns.importer import FeedImporter
from imagewarden.vulns.interface import Confidence, FeedKind, Priority
from imagewarden.vulns.store.repository import (
    FeedCounts,
    FeedImportRecord,
    FileImport,
    VulnRepository,
)
from imagewarden.vulns.vex import VexFormat, cyclonedx, openvex

if TYPE_CHECKING:
    from imagewarden.app import Workspace

__all__ = [
    "FeedImportResult",
    "FeedStatus",
    "FeedUpdate",
    "FeedUpdateRequest",
    "Mds2Import",
    "SbomImport",
    "VexExport",
    "VexFormat",
    "VulnQuery",
    "export_vex",
    "feed_status",
    "import_feeds",
    "import_mds2",
    "import_sbom",
    "list_vulns",
    "update_feeds",
    "vuln_rows",
]

log = logging.getLogger(__name__)

MDS2_IMPORT_ACTION = "import.mds2"
"""The audit action of one MDS2 form import."""


# --- feeds ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedImportResult:
    """What ``feeds import`` wrote: one entry per feed file, in import order."""

    files: tuple[FileImport, ...]

    @property
    def records(self) -> int:
        """Records written over all files."""
        return sum(f.records for f in self.files)


def import_feeds(
    workspace: Workspace, paths: Sequence[Path], *, now: dt.datetime | None = None
) -> FeedImportResult:
    """Import feed files and folders (kinds detected from content), each file all or
    nothing in its own audited transaction; stops at the first bad file."""
    importer = FeedImporter(VulnRepository(workspace.store), workspace.catalog, workspace.actor)
    return FeedImportResult(tuple(importer.import_paths(paths, now)))


@dataclass(frozen=True, slots=True)
class FeedUpdateRequest:
    """Where to download the feeds from and to."""

    dest: Path = Path("imagewarden-feeds")
    """Folder for the downloaded files (an earlier copy is replaced only when complete)."""
    timeout: float = 10.0
    """Seconds per request."""
    mirror: str | None = None
    """Base address of a mirror serving the same file names (may hold user:password)."""
    kev_url: str | None = None
    epss_url: str | None = None
    nvd_url: str | None = None
    today: dt.date | None = None
    """The day whose last week of NVD changes is fetched (default: today)."""


@dataclass(frozen=True, slots=True)
class FeedUpdate:
    """What ``feeds update`` downloaded and imported."""

    downloaded: tuple[Path, ...]
    imports: tuple[FileImport, ...]


def _chosen_sources(request: FeedUpdateRequest) -> list[Source]:
    sources = default_sources(request.today or dt.date.today())
    if request.mirror:
        sources = mirrored(sources, request.mirror)
    overrides = {
        "CISA KEV": request.kev_url,
        "FIRST EPSS": request.epss_url,
    }
    return [
        Source(
            s.name,
            overrides.get(s.name)
            or (request.nvd_url if s.name.startswith("NVD") and request.nvd_url else s.url),
            s.file,
        )
        for s in sources
    ]


def update_feeds(
    workspace: Workspace,
    request: FeedUpdateRequest = FeedUpdateRequest(),
    *,
    progress: Callable[[str], None] = lambda _step: None,
) -> FeedUpdate:
    """Download KEV, EPSS and the last week of NVD changes, then import them.

    ``progress`` is told of each step (for a person waiting); it never sees an address.
    """
    files: list[Path] = []
    for source in _chosen_sources(request):
        progress(f"downloading {source.name}")
        files.append(download(source, request.dest, request.timeout))
    progress("importing the downloaded feeds")
    result = import_feeds(workspace, files)
    return FeedUpdate(tuple(files), result.files)


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """What the store holds, and the latest import of each feed kind."""

    counts: FeedCounts
    latest: tuple[FeedImportRecord, ...]
    """The newest import of each kind, in kind order."""


def feed_status(workspace: Workspace) -> FeedStatus:
    """Counts of stored CVEs, KEV entries, EPSS scores, mentions and components."""
    repository = VulnRepository(workspace.store)
    newest: dict[FeedKind, FeedImportRecord] = {}
    for record in repository.imports():
        newest.setdefault(record.kind, record)
    latest = tuple(newest[k] for k in FeedKind if k in newest)
    return FeedStatus(repository.counts(), latest)


# --- findings -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VulnQuery:
    """Which CVE findings to list; every field narrows the list."""

    site_id: str | None = None
    asset_id: str | None = None
    cve: str | None = None
    kev_only: bool = False
    """Only CVEs in CISA KEV."""
    ransomware_only: bool = False
    """Only CVEs KEV says are used in ransomware campaigns."""
    epss_above: float | None = None
    """Only CVEs whose EPSS probability is above this (0..1)."""
    priority: Priority | None = None
    confidence: Confidence | None = None
    status: FindingStatus | None = None
    limit: int = 0
    """At most this many (0: all), most urgent first."""


def _wanted(row: VulnFinding, query: VulnQuery) -> bool:
    details = row.details
    if query.kev_only and not details.kev:
        return False
    if query.ransomware_only and not details.ransomware:
        return False
    if query.epss_above is not None and (details.epss is None or details.epss <= query.epss_above):
        return False
    if query.priority is not None and details.priority is not query.priority:
        return False
    if query.confidence is not None and details.confidence is not query.confidence:
        return False
    if query.status is not None and row.finding.status is not query.status:
        return False
    return query.cve is None or details.cve.upper() == query.cve.strip().upper()


def list_vulns(workspace: Workspace, query: VulnQuery = VulnQuery()) -> list[VulnFinding]:
    """CVE findings matching ``query``, most urgent first (act, attend, track; then risk)."""
    if query.site_id is not None:
        workspace.store.site(query.site_id)
    if query.asset_id is not None:
        workspace.store.asset(query.asset_id)
    rows = [
        VulnFinding.of(f)
        for check in VULN_CHECKS
        for f in workspace.store.findings(
            FindingFilter(site_id=query.site_id, check_id=check, asset_id=query.asset_id)
        )
    ]
    rows = [r for r in rows if _wanted(r, query)]
    rows.sort(key=VulnFinding.sort_key)
    return rows[: query.limit] if query.limit else rows


VULN_COLUMNS = (
    "id",
    "priority",
    "cve",
    "kev",
    "ransomware",
    "kev_due",
    "epss",
    "cvss",
    "severity",
    "risk_score",
    "confidence",
    "status",
    "site_id",
    "asset_id",
    "matched",
    "compared_model",
    "compared_version",
    "fixed_version",
    "reason",
    "match_reason",
)
"""The columns of a CVE finding in CSV (and their order)."""


def vuln_rows(rows: Sequence[VulnFinding]) -> list[list[Cell]]:
    """CVE findings as CSV rows (``VULN_COLUMNS``)."""
    table: list[list[Cell]] = []
    for row in rows:
        d, f = row.details, row.finding
        table.append(
            [
                f.id,
                d.priority.value,
                d.cve,
                d.kev,
                d.ransomware,
                d.kev_due,
                d.epss,
                d.cvss,
                f.severity.value,
                f.risk.score,
                d.confidence.value,
                f.status.value,
                f.site_id,
                f.asset_id,
                d.matched,
                d.compared_model,
                d.compared_version,
                d.fixed_version,
                d.priority_reason,
                d.match_reason,
            ]
        )
    return table


# --- SBOM and MDS2 --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SbomImport:
    """An SBOM attached to an asset."""

    path: Path
    asset_id: str
    components: int


def import_sbom(workspace: Workspace, path: Path, asset_id: str) -> SbomImport:
    """Attach a CycloneDX SBOM's components to an asset, replacing its earlier SBOM."""
    from imagewarden.vulns.sbom import read_sbom  # the CycloneDX library loads slowly

    workspace.store.asset(asset_id)
    components = read_sbom(path)
    count = VulnRepository(workspace.store).replace_components(
        workspace.actor, asset_id, components, f"sbom:{path.name}"
    )
    log.info("attached %d SBOM components from %s to %s", count, path, asset_id)
    return SbomImport(path, asset_id, count)


@dataclass(frozen=True, slots=True)
class Mds2Import:
    """An MDS2 form recorded as facts of an asset."""

    path: Path
    asset_id: str
    answers: int
    """Questions answered in the form (Yes, No or not applicable)."""
    facts: int
    """Facts recorded for the asset."""


def import_mds2(
    workspace: Workspace, path: Path, asset_id: str, *, now: dt.datetime | None = None
) -> Mds2Import:
    """Record a manufacturer's MDS2 answers as facts of an asset (one audited change);
    a newer form replaces every MDS2 fact of the asset."""
    from imagewarden.store import replace_observations
    from imagewarden.vulns.mds2 import read_mds2  # openpyxl loads slowly; only here

    workspace.store.asset(asset_id)
    form = read_mds2(path, asset_id, now or dt.datetime.now(dt.UTC))
    with workspace.store.changing(workspace.actor, MDS2_IMPORT_ACTION, asset_id) as change:
        facts = replace_observations(change.session, form.batch())
        change.after = {"file": path.name, "answers": len(form.answers), "facts": facts}
    log.info("recorded %d MDS2 facts from %s for %s", facts, path, asset_id)
    return Mds2Import(path, asset_id, len(form.answers), facts)


# --- VEX ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VexExport:
    """A VEX document written."""

    path: Path
    format: VexFormat
    statements: int
    """CVE findings in the document (one statement or vulnerability each)."""


def export_vex(
    workspace: Workspace,
    output: Path,
    vex_format: VexFormat = VexFormat.OPENVEX,
    *,
    site_id: str | None = None,
    now: dt.datetime | None = None,
) -> VexExport:
    """Write the CVE findings and their triage decisions as OpenVEX or CycloneDX VEX."""
    if output.is_dir():
        raise UserInputError("is a folder", Location(str(output)))
    rows = sorted(
        list_vulns(workspace, VulnQuery(site_id=site_id)),
        key=lambda r: (r.details.cve, r.finding.id),
    )
    now = now or dt.datetime.now(dt.UTC)
    if vex_format is VexFormat.OPENVEX:
        text = json.dumps(openvex(rows, now), indent=2) + "\n"
    else:
        text = cyclonedx(rows, workspace.store.assets(), now)
    write_text_atomic(output, text)
    log.info("wrote %s VEX with %d statements to %s", vex_format.value, len(rows), output)
    return VexExport(output, vex_format, len(rows))
