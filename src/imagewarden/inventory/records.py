"""One asset record (a CSV row or a JSON asset object) -> an ``Asset`` and its observations.

Both formats hand the builder a mapping from canonical column name to the raw value, and a
``Where`` that turns a column name into a location in the file; every problem goes to the
import's ``Problems``, so one pass over the file reports everything that is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Protocol, TypeVar

from imagewarden.inventory.columns import ASSET_COLUMNS
from imagewarden.inventory.errors import Problems
from imagewarden.inventory.normalise import Normaliser, parse_asset_type
from imagewarden.inventory.services import (
    apply_ae_titles,
    duplicate_service,
    parse_services_text,
    split_ae_titles,
)
from imagewarden.inventory.sites import SiteBook
from imagewarden.inventory.values import (
    CRITICALITIES,
    NETWORK_ZONES,
    ValueProblem,
    parse_bool,
    parse_date,
    parse_fact,
    parse_ip_list,
    parse_text,
)
from imagewarden.model import (
    Asset,
    Criticality,
    FactValue,
    Location,
    NetworkZone,
    Observation,
    ObservationSource,
    Service,
    SubjectKind,
)

T = TypeVar("T")

_FACT_COLUMNS = {c.name: c.fact for c in ASSET_COLUMNS.columns if c.fact is not None}


class Where(Protocol):
    """Where a record and its values are in the file."""

    def at(self, column: str) -> Location:
        """This location with a field name."""
        ...

    def label(self) -> str:
        """Short name of the record's place for messages, e.g. 'line 12' or 'assets[3]'."""
        ...


def _single_line(raw: object) -> str:
    return parse_text(raw, single_line=True)


MEMO_LIMIT = 10_000
"""Distinct values remembered per column; inventories repeat types, flags and dates a lot."""


def memoised(parse: Callable[[object], T], limit: int = MEMO_LIMIT) -> Callable[[object], T]:
    """``parse`` with its results (and problems) for text values remembered.

    Only for parsers of immutable results. A fresh ``ValueProblem`` is raised each time, so
    no traceback grows.
    """
    results: dict[str, T] = {}
    problems: dict[str, tuple[str, str]] = {}

    def parse_memoised(raw: object) -> T:
        if type(raw) is not str:
            return parse(raw)
        if raw in results:
            return results[raw]
        problem = problems.get(raw)
        if problem is None:
            try:
                value = parse(raw)
            except ValueProblem as exc:
                problem = (exc.message, exc.hint)
                if len(problems) < limit:
                    problems[raw] = problem
            else:
                if len(results) < limit:
                    results[raw] = value
                return value
        raise ValueProblem(*problem)

    return parse_memoised


class AssetBuilder:
    """Builds the assets and observations of one import, collecting every problem."""

    def __init__(
        self,
        *,
        normaliser: Normaliser,
        sites: SiteBook,
        problems: Problems,
        observed_at: dt.datetime,
        collector: str,
    ) -> None:
        self.normaliser = normaliser
        self.sites = sites
        self.problems = problems
        self.observed_at = observed_at
        self.collector = collector
        self.assets: list[Asset] = []
        self.observations: list[Observation] = []
        self._first_seen: dict[str, str] = {}
        self._type = memoised(parse_asset_type)
        self._date = memoised(parse_date)
        self._zone = memoised(NETWORK_ZONES.lookup)
        self._criticality = memoised(CRITICALITIES.lookup)
        self._bool = memoised(parse_bool)
        self._services = memoised(_services_text)
        self._ae_titles = memoised(split_ae_titles)
        self._facts = {
            name: memoised(partial(parse_fact, spec)) for name, spec in _FACT_COLUMNS.items()
        }

    def build(
        self, values: Mapping[str, object], where: Where, services: Sequence[Service] = ()
    ) -> None:
        """Add the asset described by ``values`` (raw values by canonical column name)."""
        row_problems: list[tuple[Location, str, str]] = []
        failed_columns: set[str] = set()

        def fail(column: str, message: str, hint: str = "") -> None:
            failed_columns.add(column)
            row_problems.append((where.at(column), message, hint))

        def failed_on(column: str) -> bool:
            return column in failed_columns

        def get(column: str, parse: Callable[[object], T], default: T) -> T:
            raw = values.get(column)
            if raw is None:
                return default
            try:
                return parse(raw)
            except ValueProblem as exc:
                fail(column, exc.message, exc.hint)
                return default

        asset_id = get("id", _single_line, "")
        if not asset_id and not failed_on("id"):
            fail(
                "id",
                "asset id is missing or empty",
                "every asset needs an id that is unique in the file",
            )
        elif asset_id and asset_id in self._first_seen:
            fail(
                "id",
                f"duplicate asset id {asset_id!r}, first used on {self._first_seen[asset_id]}",
                "asset ids must be unique within the file",
            )
        elif asset_id:
            self._first_seen[asset_id] = where.label()

        site_id = ""
        site_value = get("site", _single_line, "")
        if not site_value and not failed_on("site"):
            fail(
                "site",
                "site is missing or empty",
                "name the hospital or imaging centre of the asset",
            )
        else:
            try:
                site_id = self.sites.resolve(site_value)
            except ValueProblem as exc:
                fail("site", exc.message, exc.hint)

        name = get("name", parse_text, "")
        if not name and not failed_on("name"):
            fail("name", "name is missing or empty", "give the asset a name people recognise")

        asset_type = get("type", self._type, None)
        if asset_type is None and not failed_on("type"):
            fail(
                "type",
                "asset type is missing or empty",
                "e.g. ct, mr, us, pacs, viewer, ai_application",
            )

        vendor, model, model_family = self.normaliser.product(
            get("vendor", parse_text, ""), get("model", parse_text, "")
        )
        software_version = get("software_version", parse_text, "")
        os_name = self.normaliser.os_name(get("os", parse_text, ""))
        os_version = get("os_version", parse_text, "")
        end_of_support = get("end_of_support", self._date, None)
        addresses: tuple[str, ...] = get("ip_addresses", parse_ip_list, ())
        hostname = get("hostname", _single_line, "")
        segment = get("segment", parse_text, "")
        zone = get("network_zone", self._zone, None) or NetworkZone.UNKNOWN
        criticality = get("criticality", self._criticality, None) or Criticality.MEDIUM
        department = get("department", parse_text, "")
        owner = get("owner", parse_text, "")
        managed = get("managed", self._bool, None)

        listed: tuple[Service, ...] = get("services", self._services, ())
        all_services = [*services, *listed]
        titles: tuple[str, ...] = get("ae_title", self._ae_titles, ())
        if titles:
            try:
                all_services = apply_ae_titles(all_services, titles)
            except ValueProblem as exc:
                fail("ae_title", exc.message, exc.hint)
        repeated = duplicate_service(all_services)
        if repeated is not None:
            fail(
                "services",
                f"service {repeated.protocol.value}:{repeated.port} is listed twice",
                "list each protocol and port once",
            )

        facts: list[tuple[str, FactValue]] = []
        for column in values:
            parse = self._facts.get(column)
            if parse is not None:
                value = get(column, parse, None)
                if value is not None:
                    facts.append((_FACT_COLUMNS[column].name, value))

        if row_problems:
            # in the order of the columns, as the user reads the row
            row_problems.sort(key=lambda p: p[0].column or 0)
            for location, message, hint in row_problems:
                self.problems.add(location, message, hint)
            return
        if asset_type is None:
            return
        self.assets.append(
            Asset(
                id=asset_id,
                site_id=site_id,
                name=name,
                type=asset_type,
                vendor=vendor,
                model=model,
                model_family=model_family,
                software_version=software_version,
                os=os_name,
                os_version=os_version,
                end_of_support=end_of_support,
                ip_addresses=addresses,
                hostname=hostname,
                segment=segment,
                network_zone=zone,
                criticality=criticality,
                department=department,
                owner=owner,
                managed=True if managed is None else managed,
                services=tuple(all_services),
            )
        )
        observed_at, collector = self.observed_at, self.collector
        self.observations.extend(
            Observation(
                SubjectKind.ASSET,
                asset_id,
                fact,
                value,
                ObservationSource.IMPORTED,
                observed_at,
                collector,
            )
            for fact, value in facts
        )


def _services_text(raw: object) -> tuple[Service, ...]:
    if not isinstance(raw, str):
        raise ValueProblem("expected services as text like 'dicom:104; https:443/admin'")
    return tuple(parse_services_text(raw))
