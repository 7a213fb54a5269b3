"""Assets past end of support: the operating system, the device, or both.

The engine decides what is past support and records it as derived facts
(``os.past_end_of_support``, ``device.past_end_of_support`` and their day counts); this module
only reads those facts, so the report and the findings can never disagree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from imagewarden.model import Asset, Criticality, FactValue, NetworkZone
from imagewarden.render.labels import CRITICALITY_RANK
from imagewarden.report.interface import ReportContext
from imagewarden.report.views import site_names


@dataclass(frozen=True, slots=True)
class EndOfLifeAsset:
    """An asset whose operating system or device is past its end of support."""

    asset_id: str
    name: str
    asset_type: str
    site_id: str
    site_name: str
    os: str
    """Operating system and version as recorded, e.g. 'Windows 7 SP1'; empty when unknown."""
    os_past_end_of_support: bool
    os_end_of_support: dt.date | None
    device_past_end_of_support: bool
    device_end_of_support: dt.date | None
    days_past: int | None
    """Days since the earliest end of support that has passed; None when no date is known."""
    criticality: Criticality
    shared_segment: bool | None
    """On a network zone shared with general IT; None when the zone is unknown."""
    segment: str


def _flag(facts: Mapping[str, FactValue], name: str) -> bool:
    return facts.get(name) is True


def _date(facts: Mapping[str, FactValue], name: str) -> dt.date | None:
    value = facts.get(name)
    if isinstance(value, dt.datetime):
        return value.date()
    return value if isinstance(value, dt.date) else None


def _int(facts: Mapping[str, FactValue], name: str) -> int | None:
    value = facts.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _days_past(days_to: int | None, end: dt.date | None, today: dt.date) -> int | None:
    if days_to is not None:
        return -days_to
    return (today - end).days if end is not None else None


def _os_text(asset: Asset, facts: Mapping[str, FactValue]) -> str:
    name = facts.get("asset.os")
    version = facts.get("asset.os_version")
    os_name = name if isinstance(name, str) and name else asset.os
    os_version = version if isinstance(version, str) and version else asset.os_version
    if os_version and os_version not in os_name:
        return f"{os_name} {os_version}".strip()
    return os_name


def _shared(asset: Asset, facts: Mapping[str, FactValue]) -> bool | None:
    value = facts.get("network.shared_segment")
    if isinstance(value, bool):
        return value
    if asset.network_zone is NetworkZone.UNKNOWN:
        return None
    return asset.network_zone.is_shared


def end_of_life_entry(
    asset: Asset, facts: Mapping[str, FactValue], site_name: str, today: dt.date
) -> EndOfLifeAsset | None:
    """The end-of-life row of one asset, or None when it is within support (or unknown)."""
    os_past = _flag(facts, "os.past_end_of_support")
    device_past = _flag(facts, "device.past_end_of_support")
    if not (os_past or device_past):
        return None
    os_end = _date(facts, "os.end_of_support")
    device_end = _date(facts, "asset.end_of_support") or asset.end_of_support
    candidates = []
    if os_past:
        candidates.append(_days_past(_int(facts, "os.days_to_end_of_support"), os_end, today))
    if device_past:
        candidates.append(
            _days_past(_int(facts, "device.days_to_end_of_support"), device_end, today)
        )
    known = [d for d in candidates if d is not None]
    return EndOfLifeAsset(
        asset_id=asset.id,
        name=asset.name,
        asset_type=asset.type.value,
        site_id=asset.site_id,
        site_name=site_name,
        os=_os_text(asset, facts),
        os_past_end_of_support=os_past,
        os_end_of_support=os_end,
        device_past_end_of_support=device_past,
        device_end_of_support=device_end,
        days_past=max(known) if known else None,
        criticality=asset.criticality,
        shared_segment=_shared(asset, facts),
        segment=asset.segment,
    )


def _order(row: EndOfLifeAsset) -> tuple[int, int, int, str, str]:
    """Most critical first, then those on shared segments, then the longest unsupported."""
    return (
        -CRITICALITY_RANK[row.criticality],
        0 if row.shared_segment else 1,
        -(row.days_past or 0),
        row.site_name,
        row.name,
    )


def end_of_life_assets(context: ReportContext) -> tuple[EndOfLifeAsset, ...]:
    """Every asset whose OS or device is past end of support, most urgent first."""
    names = site_names(context.sites)
    today = context.generated_at.date()
    rows = []
    for asset in context.assets:
        facts = context.asset_facts.get(asset.id, {})
        row = end_of_life_entry(asset, facts, names.get(asset.site_id, asset.site_id), today)
        if row is not None:
            rows.append(row)
    return tuple(sorted(rows, key=_order))
