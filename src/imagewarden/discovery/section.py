"""The report's "Active discovery" section: what the last scan saw, service by service."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from imagewarden.contracts import ReportSection
from imagewarden.discovery.facts import anonymous_query, association_outcome
from imagewarden.model import Asset, FactValue, ObservationSource, SubjectKind

if TYPE_CHECKING:
    from imagewarden.store import Store

_ACCESS = (
    ("dicom.accepts_any_called_ae", "Any called AE"),
    ("dicom.accepts_unknown_calling_ae", "Unknown calling AE"),
)
_AFTER = (
    ("service.auth_required", "Login required"),
    ("service.default_credentials_accepted", "Default login works"),
    ("service.product_outdated", "Outdated"),
)
COLUMNS = (
    "Asset",
    "Address",
    "Protocol",
    "Product",
    "Outcome",
    "TLS",
    *(label for _, label in _ACCESS),
    "Anonymous query",
    *(label for _, label in _AFTER),
)
"""The table's columns. Outcome: how the first association ended, with the reject reason
or where a malformed answer broke; Anonymous query: over DICOM (C-FIND) or DICOMweb."""


def _cell(value: FactValue | None) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def discovery_section(store: Store, assets: Sequence[Asset]) -> ReportSection | None:
    """The report section: one row per probed service, from the stored observations."""
    probed: dict[str, dict[str, FactValue]] = defaultdict(dict)
    for obs in store.observations(
        source=ObservationSource.PROBED, subject_kind=SubjectKind.SERVICE
    ):
        probed[obs.subject_id][obs.name] = obs.value
    if not probed:
        return None
    by_id = {a.id: a for a in assets}
    rows = []
    for key in sorted(probed):
        facts = probed[key]
        asset_id, _, endpoint = key.rpartition(":")
        asset = by_id.get(asset_id)
        protocol, _, port = endpoint.partition("/")
        address = asset.ip_addresses[0] if asset and asset.ip_addresses else ""
        product = " ".join(
            str(facts[n]) for n in ("service.product", "service.product_version") if n in facts
        )
        rows.append(
            [
                asset.name if asset else asset_id,
                f"{address}:{port}",
                protocol,
                product or "–",
                association_outcome(facts) or "–",
                _cell(facts.get("service.tls")),
                *(_cell(facts.get(name)) for name, _ in _ACCESS),
                _cell(anonymous_query(facts)),
                *(_cell(facts.get(name)) for name, _ in _AFTER),
            ]
        )
    return ReportSection(
        key="discovery",
        title="Active discovery",
        template="table.html.j2",
        data={
            "intro": (
                "Services found by 'imagewarden discover' inside its declared scope. Only "
                "associations, handshakes and read-only requests were sent; query results "
                "were counted, never read (see docs/safety.md)."
            ),
            "tables": [
                {
                    "caption": f"{len(rows)} probed services",
                    "columns": list(COLUMNS),
                    "rows": rows,
                }
            ],
        },
    )
