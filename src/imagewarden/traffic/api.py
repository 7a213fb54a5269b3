"""The traffic capability's application API: collect (``analyze``) and apply (``apply``).

``analyze`` needs no database: a site worker runs it next to the capture and sends the
``CaptureBatch``. ``apply`` stores a batch at the centre in one audited transaction: the
capture and its flows, unmanaged assets for hosts nobody listed, services seen, and the
traffic facts as observations. The segmentation functions read what was applied.

These functions print nothing: the command line, the web workspace and the workers render
their results.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from imagewarden.model import Location, UserInputError
from imagewarden.render.atomic import write_text_atomic
from imagewarden.store import write_collected
from imagewarden.traffic.addresses import canonical
from imagewarden.traffic.analyze import analyze_files
from imagewarden.traffic.decode import DEFAULT_DICOM_PORTS, AnalyzeOptions
from imagewarden.traffic.inventory import assets_after, collect, observation_batch
from imagewarden.traffic.model import CaptureBatch, FlowRecord
from imagewarden.traffic.segmentation.export import PlanFormat, render_plan
from imagewarden.traffic.segmentation.policy import SegmentationPlan, build_plan
from imagewarden.traffic.segmentation.zones import assets_by_address
from imagewarden.traffic.store import repository
from imagewarden.traffic.store.repository import StoredCapture, StoredFlow

if TYPE_CHECKING:
    from imagewarden.app import Workspace

MAX_BATCH_BYTES = 256 << 20


@dataclass(frozen=True, slots=True)
class ApplySummary:
    """What ``apply`` stored."""

    capture_id: int
    site_id: str
    flows: int
    new_assets: tuple[str, ...]
    """Ids of the unmanaged assets created for hosts nobody listed."""
    services_added: int
    observations: int
    replaced: bool
    """The same capture had been applied before: its flows were replaced, not added."""


def analyze(
    paths: Sequence[Path],
    *,
    site_id: str | None = None,
    dicom_ports: Iterable[int] = (),
    progress: Callable[[int, int], None] = lambda _done, _total: None,
) -> CaptureBatch:
    """Analyse a capture (files, or folders of rotated files) in one pass; no database.

    ``dicom_ports`` are server ports to read as DICOM even when a connection started before
    the capture did (besides 104, 11112, 4242, 2761 and 2762). A damaged file raises a
    ``UserInputError`` naming the file and the packet.
    """
    if not paths:
        raise UserInputError("name at least one capture file or folder")
    ports = frozenset(dicom_ports)
    bad = sorted(p for p in ports if not 0 < p < 65536)
    if bad:
        raise UserInputError(f"--dicom-port {bad[0]} is not a TCP port (1-65535)")
    options = AnalyzeOptions(dicom_ports=DEFAULT_DICOM_PORTS | ports)
    return analyze_files(paths, options, progress, site_id=site_id)


def write_batch(batch: CaptureBatch, path: Path) -> None:
    """Write a batch as JSON, all at once (a site worker's hand-over file)."""
    write_text_atomic(path, json.dumps(batch.to_json(), sort_keys=True) + "\n")


def read_batch(path: Path) -> CaptureBatch:
    """Read a batch written by ``write_batch``."""
    try:
        size = path.stat().st_size
        if size > MAX_BATCH_BYTES:
            raise UserInputError(
                f"is {size} bytes, more than a capture batch may be ({MAX_BATCH_BYTES})",
                Location(str(path)),
            )
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserInputError(f"cannot be read ({exc.strerror})", Location(str(path))) from None
    except (ValueError, RecursionError) as exc:
        raise UserInputError(f"is not JSON ({exc})", Location(str(path))) from None
    return CaptureBatch.from_json(data, str(path))


def _site(workspace: Workspace, batch: CaptureBatch, site_id: str | None) -> str:
    """The site the capture belongs to: named, else the one its known hosts share."""
    sites = {s.id for s in workspace.store.sites()}
    wanted = site_id or batch.site_id
    if wanted is not None:
        if wanted not in sites:
            known = ", ".join(sorted(sites)) or "none yet"
            raise UserInputError(f"unknown site {wanted!r}", hint=f"sites: {known}")
        return wanted
    owners = assets_by_address(workspace.store.assets())
    seen = {
        owners[a].site_id
        for flow in batch.flows
        for a in (canonical(flow.client), canonical(flow.server))
        if a in owners
    }
    if len(seen) == 1:
        return seen.pop()
    if not seen and len(sites) == 1:
        return next(iter(sites))
    choices = ", ".join(sorted(seen or sites)) or "none: import an inventory first"
    raise UserInputError(
        "cannot tell which site the capture belongs to", hint=f"name it with --site ({choices})"
    )


def apply(
    workspace: Workspace,
    batch: CaptureBatch,
    *,
    site_id: str | None = None,
    now: dt.datetime | None = None,
) -> ApplySummary:
    """Store a capture batch: flows, unmanaged assets, services and observations, audited as
    one change. Applying the same capture again replaces its flows."""
    now = now or dt.datetime.now(dt.UTC)
    store = workspace.store
    site = _site(workspace, batch, site_id)
    collected = collect(batch.flows, store.assets(), site)
    after = assets_after(store.assets(), collected)
    target = f"capture {batch.fingerprint[:12]}"
    with store.changing(workspace.actor, "traffic.apply", target) as change:
        session = change.session
        capture_id, replaced = repository.replace_capture(session, batch, site, now)
        site_flows = [f.flow for f in repository.flows_in(session, site)]
        observations = observation_batch(site_flows, after, now)
        written = write_collected(session, collected, observations, now)
        change.after = {
            "site": site,
            "files": [f.name for f in batch.files],
            "packets": batch.stats.packets,
            "flows": len(batch.flows),
            "new_assets": written.assets_added,
            "services_added": written.services,
            "observations": written.observations,
            "replaced": replaced,
        }
    return ApplySummary(
        capture_id=capture_id,
        site_id=site,
        flows=len(batch.flows),
        new_assets=tuple(a.id for a in collected.new_assets),
        services_added=written.services,
        observations=written.observations,
        replaced=replaced,
    )


def flows(workspace: Workspace, site_id: str | None = None) -> list[StoredFlow]:
    """Every stored flow (of one site)."""
    return repository.flows(workspace.store, site_id)


def captures(workspace: Workspace) -> list[StoredCapture]:
    """Every applied capture, newest first."""
    return repository.captures(workspace.store)


def segmentation_plan(
    workspace: Workspace, site_id: str | None = None, now: dt.datetime | None = None
) -> SegmentationPlan:
    """The least-privilege plan from the stored flows (of one site) and the inventory."""
    store = workspace.store
    if site_id is not None and site_id not in {s.id for s in store.sites()}:
        raise UserInputError(f"unknown site {site_id!r}")
    stored = repository.flows(store, site_id)
    if not stored:
        raise UserInputError(
            "no traffic has been analysed" + (f" for site {site_id}" if site_id else ""),
            hint="run 'imagewarden traffic analyze CAPTURE' first",
        )
    return plan_for([f.flow for f in stored], workspace, site_id, now)


def plan_for(
    flow_records: Sequence[FlowRecord],
    workspace: Workspace,
    site_id: str | None = None,
    now: dt.datetime | None = None,
) -> SegmentationPlan:
    """The plan for given flows against the workspace's inventory."""
    return build_plan(flow_records, workspace.store.assets(), site_id, now)


def export_plan(plan: SegmentationPlan, fmt: PlanFormat) -> str:
    """The plan as YAML, nftables or Cisco-style ACL text."""
    return render_plan(plan, fmt)
