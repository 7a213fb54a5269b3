"""The report's "Traffic and segmentation" section: a flow map and the plan, per site."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from imagewarden.traffic import flowmap
from imagewarden.traffic.addresses import canonical, is_internal
from imagewarden.traffic.segmentation.policy import Endpoint, build_plan
from imagewarden.traffic.segmentation.zones import assets_by_address
from imagewarden.traffic.store.repository import captures, flows

if TYPE_CHECKING:
    from imagewarden.contracts import ReportSection, SectionSource

MAX_SITES = 10
MAX_ROWS = 200


def _who(endpoint: Endpoint) -> str:
    if endpoint.name:
        return f"{endpoint.name} ({endpoint.address})"
    return (
        f"{endpoint.address} (not in the inventory)"
        if endpoint.zone.protected
        else endpoint.address
    )


def _seen(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d") if seconds else "–"


def traffic_section(source: SectionSource) -> ReportSection | None:
    """The section, or None when no capture was applied."""
    from imagewarden.contracts import ReportSection

    stored = flows(source.store)
    if not stored:
        return None
    by_site: dict[str, list[Any]] = defaultdict(list)
    for item in stored:
        by_site[item.site_id].append(item.flow)
    names = {s.id: s.name for s in source.sites}
    sites = []
    for number, site_id in enumerate(sorted(by_site)[:MAX_SITES]):
        plan = build_plan(by_site[site_id], source.assets, site_id, source.now)
        sites.append(
            {
                "id": site_id,
                "name": names.get(site_id, site_id),
                "map": flowmap.layout(plan, f"flowmap-{number}"),
                "allow": [
                    {
                        "id": r.id,
                        "source": _who(r.source),
                        "source_zone": r.source.zone.label,
                        "destination": _who(r.destination),
                        "destination_zone": r.destination.zone.label,
                        "port": r.port,
                        "service": r.service,
                        "ae_titles": ", ".join(f"{c} → {d}" for c, d in r.ae_titles[:4]) or "–",
                        "seen": f"{r.connections} connections, last {_seen(r.last_seen)}",
                    }
                    for r in plan.allow[:MAX_ROWS]
                ],
                "blocked": [
                    {
                        "source": _who(b.source),
                        "source_zone": b.source.zone.label,
                        "destination": _who(b.destination),
                        "destination_zone": b.destination.zone.label,
                        "port": b.port,
                        "service": b.service,
                        "reasons": "; ".join(b.reasons),
                    }
                    for b in plan.blocked[:MAX_ROWS]
                ],
            }
        )
    all_flows = [f.flow for f in stored]
    applied = captures(source.store)
    owners = assets_by_address(source.assets)
    addresses = {canonical(a) for f in all_flows for a in (f.client, f.server)}
    unmanaged = sum(
        1 for a in addresses if is_internal(a) and (a not in owners or not owners[a].managed)
    )
    return ReportSection(
        key="traffic",
        title="Traffic and segmentation",
        template="traffic/section.html.j2",
        data={
            "intro": (
                "What packet captures show flowing between imaging systems (imagewarden traffic "
                "analyze). Only association-level facts were read: AE titles, operations and "
                "their counts, TLS versions; image and query contents were skipped unread. The "
                "plan allows each observed flow host to host; flows listed as 'would be "
                "blocked' need a decision before the plan is enforced."
            ),
            "totals": {
                "captures": len(applied),
                "packets": sum(c.packets for c in applied),
                "flows": len(all_flows),
                "dicom": sum(1 for f in all_flows if f.protocol == "dicom"),
                "clear_images": sum(f.images_in_clear for f in all_flows),
                "unmanaged": unmanaged,
            },
            "sites": sites,
            "more_sites": max(0, len(by_site) - MAX_SITES),
        },
    )
