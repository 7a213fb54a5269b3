"""Conversions between domain objects and table rows (dicts for bulk statements)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Row

from imagewarden.model import (
    Asset,
    AssetType,
    Criticality,
    FactValue,
    Finding,
    FindingStatus,
    NetworkZone,
    Observation,
    ObservationSource,
    RiskFactor,
    RiskScore,
    Service,
    ServiceProtocol,
    Severity,
    Site,
    SubjectKind,
)
from imagewarden.store.schema import AssetRow, ObservationRow, ServiceRow, SiteRow

# Enum lookups by value, without the Enum constructor's overhead (called per stored row).
_SUBJECT_KINDS = {k.value: k for k in SubjectKind}
_PROTOCOLS = {p.value: p for p in ServiceProtocol}
_ASSET_TYPES = {t.value: t for t in AssetType}
_ZONES = {z.value: z for z in NetworkZone}
_CRITICALITIES = {c.value: c for c in Criticality}


def utc(value: dt.datetime) -> dt.datetime:
    """SQLite returns naive datetimes; everything the store hands out is aware UTC."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def encode_value(value: FactValue) -> tuple[str, str]:
    """A fact value as (type name, text) for the observations table."""
    if isinstance(value, bool):
        return "bool", "true" if value else "false"
    if isinstance(value, int):
        return "int", str(value)
    if isinstance(value, float):
        return "float", repr(value)
    if isinstance(value, dt.date):
        return "date", value.isoformat()
    return "str", value


def decode_value(value_type: str, text: str) -> FactValue:
    """The inverse of encode_value."""
    if value_type == "bool":
        return text == "true"
    if value_type == "int":
        return int(text)
    if value_type == "float":
        return float(text)
    if value_type == "date":
        return dt.date.fromisoformat(text)
    return text


def encode_facts(facts: Mapping[str, FactValue]) -> dict[str, list[str]]:
    """Facts as JSON-ready [type, text] pairs that decode back to the same typed values."""
    return {name: list(encode_value(value)) for name, value in facts.items()}


def decode_facts(data: Mapping[str, Any]) -> dict[str, FactValue]:
    """The inverse of ``encode_facts``."""
    return {name: decode_value(pair[0], pair[1]) for name, pair in data.items()}


def encode_evidence(evidence: Mapping[str, FactValue]) -> dict[str, Any]:
    """Evidence as JSON-ready values (dates as ISO text)."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in evidence.items()}


def site_row(site: Site, now: dt.datetime) -> dict[str, Any]:
    """A site as a row of the sites table."""
    return {
        "id": site.id,
        "name": site.name,
        "kind": site.kind,
        "region": site.region,
        "updated_at": now,
    }


def site_from_row(row: SiteRow) -> Site:
    """A site from its row."""
    return Site(id=row.id, name=row.name, kind=row.kind, region=row.region)


def asset_row(asset: Asset, now: dt.datetime) -> dict[str, Any]:
    """An asset as a row of the assets table."""
    return {
        "id": asset.id,
        "site_id": asset.site_id,
        "name": asset.name,
        "type": asset.type.value,
        "vendor": asset.vendor,
        "model": asset.model,
        "model_family": asset.model_family,
        "software_version": asset.software_version,
        "os": asset.os,
        "os_version": asset.os_version,
        "end_of_support": asset.end_of_support,
        "ip_addresses": list(asset.ip_addresses),
        "hostname": asset.hostname,
        "segment": asset.segment,
        "network_zone": asset.network_zone.value,
        "criticality": asset.criticality.value,
        "department": asset.department,
        "owner": asset.owner,
        "managed": asset.managed,
        "updated_at": now,
    }


def service_row(asset_id: str, service: Service) -> dict[str, Any]:
    """A service of an asset as a row of the services table."""
    return {
        "asset_id": asset_id,
        "protocol": service.protocol.value,
        "port": service.port,
        "tls": service.tls,
        "ae_title": service.ae_title,
        "internet_exposed": service.internet_exposed,
        "auth_required": service.auth_required,
        "admin_interface": service.admin_interface,
    }


def service_from_row(row: ServiceRow | Row[Any]) -> Service:
    """A service from its row."""
    return Service(
        protocol=_PROTOCOLS[row.protocol],
        port=row.port,
        tls=row.tls,
        ae_title=row.ae_title,
        internet_exposed=row.internet_exposed,
        auth_required=row.auth_required,
        admin_interface=row.admin_interface,
    )


ASSET_COLUMNS = tuple(f.name for f in dataclasses.fields(Asset) if f.name != "services")
"""The assets table's columns an Asset holds, in the order of its fields (the columns are
named as the fields)."""


_CONVERTED = tuple(
    (ASSET_COLUMNS.index(name), convert)
    for name, convert in (
        ("type", _ASSET_TYPES.__getitem__),
        ("ip_addresses", tuple),
        ("network_zone", _ZONES.__getitem__),
        ("criticality", _CRITICALITIES.__getitem__),
    )
)
"""The columns whose stored value is not the field's: (position, conversion)."""


def asset_from_values(values: Sequence[Any], services: tuple[Service, ...]) -> Asset:
    """An asset (with its services) from the values of ``ASSET_COLUMNS``, in that order."""
    # Positional, in the fields' order: Store.assets builds one per asset of the inventory,
    # and keyword arguments cost a third of the construction.
    fields = [*values, services]
    for position, convert in _CONVERTED:
        fields[position] = convert(fields[position])
    return Asset(*fields)


def asset_from_row(row: AssetRow | Row[Any], services: tuple[Service, ...]) -> Asset:
    """An asset (with its services) from its row."""
    return asset_from_values([getattr(row, name) for name in ASSET_COLUMNS], services)


def observation_row(obs: Observation) -> dict[str, Any]:
    """An observation as a row of the observations table."""
    value_type, value = encode_value(obs.value)
    return {
        "subject_kind": obs.subject_kind.value,
        "subject_id": obs.subject_id,
        "name": obs.name,
        "value_type": value_type,
        "value": value,
        "source": obs.source.value,
        "collector": obs.collector,
        "observed_at": obs.observed_at,
    }


_SOURCES = {s.value: s for s in ObservationSource}


def observation_from_row(row: ObservationRow | Row[Any]) -> Observation:
    """An observation from its row."""
    return Observation(
        subject_kind=_SUBJECT_KINDS[row.subject_kind],
        subject_id=row.subject_id,
        name=row.name,
        value=decode_value(row.value_type, row.value),
        source=_SOURCES[row.source],
        observed_at=utc(row.observed_at),
        collector=row.collector,
    )


# The JSON columns of findings are written and read as text by this module: risk factors and
# safeguard lists repeat across thousands of findings, so their encodings are memoised, and
# one json call per value is much cheaper than the database layer's per-column processing.
# Risk factors and safeguard lists are stored once per distinct value (``RiskFactorSetRow``,
# ``SafeguardListRow``), each finding holding its value's key (``shared_key``).
FINDING_JSON_COLUMNS = ("evidence", "extra")


@lru_cache(maxsize=8192)
def risk_json(factors: tuple[RiskFactor, ...]) -> str:
    return json.dumps(
        [
            {
                "name": f.name,
                "level": f.level,
                "weight": f.weight,
                "points": f.points,
                "reason": f.reason,
            }
            for f in factors
        ]
    )


def shared_key(text: str) -> str:
    """The key of a value stored once for many findings (a set of risk factors, a list of
    safeguards): derived from its JSON text, so equal values share one row and a writer
    knows the key without asking the database (128 bits: no collisions)."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@lru_cache(maxsize=8192)
def _risk_from_json(text: str) -> tuple[RiskFactor, ...]:
    return tuple(RiskFactor(**factor) for factor in json.loads(text))


@lru_cache(maxsize=8192)
def _strings_from_json(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _decoded(value: Any) -> Any:
    """Rows from this module's queries hold JSON text; ORM rows hold decoded values."""
    if value == "{}":  # most findings carry no producer details
        return {}
    return json.loads(value) if isinstance(value, str) else value


_SEVERITIES = {s.value: s for s in Severity}
STATUS_OF_TEXT = {s.value: s for s in FindingStatus}
"""Finding statuses by their stored text (the writer reads them back too)."""


def finding_from_row(row: Row[Any]) -> Finding:
    """A finding from a row of the store's finding columns, its risk factors' and safeguards'
    JSON text as ``risk_factors`` and ``safeguards`` (other JSON columns as text or decoded)."""
    return Finding(
        id=row.id,
        check_id=row.check_id,
        subject_kind=_SUBJECT_KINDS[row.subject_kind],
        subject_id=row.subject_id,
        site_id=row.site_id,
        asset_id=row.asset_id,
        title=row.title,
        severity=_SEVERITIES[row.severity],
        risk=_risk(row.risk_score, row.risk_factors),
        evidence=dict(_decoded(row.evidence)),
        safeguards=_strings_from_json(row.safeguards),
        extra=dict(_decoded(row.extra)),
        status=STATUS_OF_TEXT[row.status],
        first_seen=utc(row.first_seen),
        last_seen=utc(row.last_seen),
        status_reason=row.status_reason,
        accepted_until=row.accepted_until,
        mitigated_at=utc(row.mitigated_at) if row.mitigated_at else None,
        revision=row.revision,
    )


REPORT_FINDING_COLUMNS = (
    "id",
    "check_id",
    "subject_kind",
    "subject_id",
    "site_id",
    "asset_id",
    "title",
    "severity",
    "risk_score",
    "risk_key",
    "safeguards_key",
    "extra",
    "status",
    "status_reason",
    "accepted_until",
    "revision",
)
"""What a report reads of every finding: no evidence, no first/last-seen or mitigation
times (shown only for the few findings a report lists one by one, read complete), and the
keys of its risk factors and safeguards, not their text (a few hundred distinct values for
half a million findings)."""


@lru_cache(maxsize=8192)
def _risk(score: int, factors: str) -> RiskScore:
    return RiskScore(score, _risk_from_json(factors))


def report_finding_from_row(row: tuple[Any, ...], shared: Mapping[str, str]) -> Finding:
    """A finding from a row of ``REPORT_FINDING_COLUMNS`` (JSON columns as text), its risk
    factors' and safeguards' text looked up in ``shared`` by key: its evidence empty and its
    times unset."""
    (
        finding_id,
        check_id,
        subject_kind,
        subject_id,
        site_id,
        asset_id,
        title,
        severity,
        score,
        risk_key,
        safeguards_key,
        extra,
        status,
        status_reason,
        accepted_until,
        revision,
    ) = row
    # Positional, in the fields' order: a report builds one per stored finding, and keyword
    # arguments cost a third of the construction (tests/store/test_shared_finding_values.py
    # compares every field with the finding read whole).
    return Finding(
        finding_id,
        check_id,
        _SUBJECT_KINDS[subject_kind],
        subject_id,
        site_id,
        asset_id,
        title,
        _SEVERITIES[severity],
        _risk(score, shared[risk_key]),
        {},
        _strings_from_json(shared[safeguards_key]),
        STATUS_OF_TEXT[status],
        None,
        None,
        status_reason,
        accepted_until,
        None,
        {} if extra == "{}" else dict(_decoded(extra)),
        revision,
    )
