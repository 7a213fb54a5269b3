"""JSON inventories: ``{"format": "imagewarden-inventory/1", "sites": [...], "assets": [...]}``
or a bare list of assets.

The file is parsed with the standard ``json`` module (fast, C). Problems are first recorded
with their JSON path (``assets[3].type``); only when there are problems is the text scanned
once more to find the line and column of each path, so a good file pays nothing for it.
"""

from __future__ import annotations

import contextlib
import json
import json.decoder
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import cast

from imagewarden.inventory.columns import (
    ASSET_COLUMNS,
    ASSET_FACT_COLUMNS,
    SITE_FACT_COLUMNS,
    Column,
    ColumnKind,
    ColumnSet,
    header_key,
    is_ignored,
)
from imagewarden.inventory.errors import (
    InventoryInputError,
    Problem,
    Problems,
    StopReading,
    TooManyProblems,
    single_problem,
)
from imagewarden.inventory.interface import ImportContext
from imagewarden.inventory.normalise import Normaliser
from imagewarden.inventory.records import AssetBuilder
from imagewarden.inventory.services import parse_protocol
from imagewarden.inventory.sites import SiteBook, site_slug
from imagewarden.inventory.source import (
    HEAD_SIZE,
    REENCODE_HINT,
    UTF8_BOM,
    check_head,
    decode_problem,
    open_source,
)
from imagewarden.inventory.values import (
    ValueProblem,
    closest,
    describe,
    parse_ae_title,
    parse_bool,
    parse_fact,
    parse_port,
    parse_text,
)
from imagewarden.model import (
    Inventory,
    Location,
    Observation,
    ObservationSource,
    Service,
    ServiceProtocol,
    Site,
    SubjectKind,
)

FORMAT_ID = "imagewarden-inventory/1"
"""The value of the top-level "format" key this importer reads."""

TOP_LEVEL_KEYS = ("format", "sites", "assets")
SITE_KEYS = ("id", "name", "kind", "region", "facts")
SERVICE_KEYS = (
    "protocol",
    "port",
    "tls",
    "ae_title",
    "internet_exposed",
    "auth_required",
    "admin_interface",
)
_SERVICE_FLAGS = ("tls", "internet_exposed", "auth_required", "admin_interface")

_SYNTAX_HINTS: tuple[tuple[str, str], ...] = (
    ("Expecting property name", "keys need double quotes; no comma may follow the last item"),
    ("Expecting value", "a value is missing: a trailing comma, single quotes or a bare word?"),
    ("Expecting ',' delimiter", "a comma is missing between two items"),
    ("Expecting ':' delimiter", "a key must be followed by ':' and its value"),
    ("Extra data", "a JSON file holds one value: put all assets in one list"),
    ("Invalid control character", "line breaks and tabs inside strings must be written \\n, \\t"),
    ("Unterminated string", "a string is missing its closing double quote"),
)

scanstring = cast(Callable[[str, int], tuple[str, int]], vars(json.decoder)["scanstring"])
"""The ``json`` module's string scanner (C): decodes a string token, returns (value, end)."""

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def child_path(base: str, key: str | int) -> str:
    """The JSON path of a member: ``assets[3].type``, ``facts["phi.stored"]``."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{base}.{key}" if base else key
    return f"{base}[{json.dumps(key)}]"


class _NonFinite:
    """NaN or Infinity in the file: not JSON, rejected wherever it is used."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


# --- positions ---------------------------------------------------------------------------------

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null|NaN|-?Infinity")


class _Found(Exception):
    pass


class _Locator:
    """Finds the offset of values by JSON path, and repeated keys, in text known to be valid."""

    def __init__(self, text: str, wanted: set[str], *, duplicates: bool = False) -> None:
        self.text = text
        self.wanted = wanted
        self.find_duplicates = duplicates
        self.found: dict[str, int] = {}
        self.duplicates: list[tuple[str, str, int]] = []
        """(path of the repeated member, key, offset of the key)."""

    def run(self) -> None:
        with contextlib.suppress(_Found, RecursionError, IndexError, ValueError):
            self._value(0, "")

    def _skip(self, index: int) -> int:
        match = _WHITESPACE.match(self.text, index)
        return index if match is None else match.end()

    def _value(self, index: int, path: str) -> int:
        text = self.text
        index = self._skip(index)
        if path in self.wanted:
            self.found[path] = index
            if len(self.found) == len(self.wanted) and not self.find_duplicates:
                raise _Found
        char = text[index]
        if char == "{":
            index = self._skip(index + 1)
            if text[index] == "}":
                return index + 1
            seen: set[str] = set()
            while True:
                key_at = index
                key, index = scanstring(text, index + 1)
                if self.find_duplicates:
                    if key in seen:
                        self.duplicates.append((child_path(path, key), key, key_at))
                    seen.add(key)
                index = self._skip(index) + 1
                index = self._skip(self._value(index, child_path(path, key)))
                if text[index] == ",":
                    index = self._skip(index + 1)
                    continue
                return index + 1
        if char == "[":
            index = self._skip(index + 1)
            if text[index] == "]":
                return index + 1
            position = 0
            while True:
                index = self._skip(self._value(index, child_path(path, position)))
                position += 1
                if text[index] == ",":
                    index += 1
                    continue
                return index + 1
        if char == '"':
            return scanstring(text, index + 1)[1]
        match = _SCALAR.match(text, index)
        if match is None:
            raise IndexError(index)
        return match.end()


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _with_positions(text: str, problems: list[Problem]) -> list[Problem]:
    """The problems with the line and column of their JSON path filled in."""
    wanted = {p.location.field or "" for p in problems if p.location.line is None}
    if not wanted:
        return problems
    locator = _Locator(text, wanted)
    locator.run()
    located = []
    for problem in problems:
        location = problem.location
        offset = locator.found.get(location.field or "")
        if location.line is None and offset is not None:
            line, column = _line_column(text, offset)
            location = Location(location.file, line, column, location.field)
        located.append(Problem(location, problem.message, problem.hint))
    return located


# --- records -----------------------------------------------------------------------------------


def _join(base: str, rel: tuple[str, ...]) -> str:
    for key in rel:
        base = child_path(base, key)
    return base


class _AssetWhere:
    __slots__ = ("file", "keys", "path")

    def __init__(self, file: str, path: str, keys: dict[str, tuple[str, ...]]) -> None:
        self.file = file
        self.path = path
        self.keys = keys
        """Where each column's value is, relative to the asset (a key, or "facts" and a key)."""

    def at(self, column: str) -> Location:
        return Location(self.file, field=_join(self.path, self.keys.get(column, ())) or None)

    def label(self) -> str:
        return self.path


class JsonImporter:
    """Reads ``.json`` inventories."""

    suffixes: tuple[str, ...] = (".json",)

    def read(self, path: Path, context: ImportContext) -> Inventory:
        """The inventory in a JSON file; all or nothing."""
        file = str(path)
        reader = _JsonRead(file, path.name, context)
        with open_source(path) as raw:
            try:
                return reader.run(raw.read())
            except OSError as exc:
                raise _fail(file, f"cannot read the file: {exc.strerror or exc}") from None


def _fail(file: str, message: str, hint: str = "") -> InventoryInputError:
    return single_problem(Location(file), message, hint)


class _JsonRead:
    """The state of one JSON import."""

    def __init__(self, file: str, name: str, context: ImportContext) -> None:
        self.file = file
        self.context = context
        self.collector = f"inventory:{name}"
        self.problems = Problems()
        self.site_observations: list[Observation] = []
        self.sites = SiteBook()
        self.builder: AssetBuilder | None = None
        self.normaliser = Normaliser(context.catalog)
        self.repeated_keys = False
        self._asset_keys: dict[str, Column | bool | None] = {}

    def _pairs(self, pairs: list[tuple[str, object]]) -> dict[str, object]:
        """``json`` object hook: keeps the last value of a repeated key, and notes the repeat."""
        result = dict(pairs)
        if len(result) != len(pairs):
            self.repeated_keys = True
        return result

    def problem(self, path: str, message: str, hint: str = "") -> None:
        self.problems.add(Location(self.file, field=path or None), message, hint)

    def run(self, data: bytes) -> Inventory:
        error = check_head(data[:HEAD_SIZE], self.file)
        if error is not None:
            raise error
        text = self._decode(data)
        del data  # the text is kept (to locate problems); the bytes are not needed
        if not text.strip():
            raise _fail(self.file, "file is empty", "an inventory needs at least one asset")
        nul = text.find("\x00")
        if nul >= 0:
            line, column = _line_column(text, nul)
            self.problems.add(
                Location(self.file, line, column),
                "contains a NUL byte",
                "the file is damaged or not a text file; remove the NUL bytes",
            )
            raise self.problems.error()
        document = self._parse(text)
        try:
            if self.problems:
                raise StopReading
            self._check_duplicate_keys(text)
            self._document(document)
        except (TooManyProblems, StopReading):
            pass
        if self.problems:
            items = sorted(
                _with_positions(text, self.problems.items),
                key=lambda p: (p.location.line or 0, p.location.column or 0),
            )
            raise InventoryInputError(items, truncated=self.problems.truncated)
        assert self.builder is not None
        return Inventory(
            sites=self.sites.sites,
            assets=tuple(self.builder.assets),
            observations=(*self.site_observations, *self.builder.observations),
        )

    def _decode(self, data: bytes) -> str:
        body = data[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            start = exc.start + (len(data) - len(body))
            line_start = data.rfind(b"\n", 0, start) + 1
            line_end = data.find(b"\n", start)
            line_bytes = data[line_start : line_end if line_end >= 0 else len(data)]
            column, message = decode_problem(line_bytes, start - line_start, line_start)
            line = data.count(b"\n", 0, start) + 1
            self.problems.add(Location(self.file, line, column), message, REENCODE_HINT)
            raise self.problems.error() from None

    def _parse(self, text: str) -> object:
        try:
            return json.loads(text, object_pairs_hook=self._pairs, parse_constant=_NonFinite)
        except json.JSONDecodeError as exc:
            hint = next((h for start, h in _SYNTAX_HINTS if exc.msg.startswith(start)), "")
            self.problems.add(
                Location(self.file, exc.lineno, exc.colno), f"invalid JSON: {exc.msg}", hint
            )
        except RecursionError:
            self.problems.add(
                Location(self.file), "invalid JSON: nested too deeply", "is this an inventory?"
            )
        raise self.problems.error()

    def _check_duplicate_keys(self, text: str) -> None:
        if not self.repeated_keys:
            return
        locator = _Locator(text, set(), duplicates=True)
        locator.run()
        for path, key, offset in locator.duplicates:
            line, column = _line_column(text, offset)
            self.problems.add(
                Location(self.file, line, column, path),
                f"key {key!r} appears more than once in the same object",
                "give each key once",
            )

    # --- structure ---

    def _document(self, document: object) -> None:
        if isinstance(document, list):
            assets: object = document
            assets_path = ""
        elif isinstance(document, dict):
            self._keys(document, "", TOP_LEVEL_KEYS, "top-level")
            version = document.get("format")
            if version is not None and version != FORMAT_ID:
                self.problem(
                    "format",
                    f"unsupported format {describe(version)}",
                    f"this version of ImageWarden reads {FORMAT_ID!r}",
                )
            if document.get("sites") is not None:
                self._sites(document["sites"])
            if "assets" not in document:
                self.problem("", "no 'assets' list", 'put the assets in "assets": [...]')
                return
            assets = document["assets"]
            assets_path = "assets"
        else:
            self.problem(
                "",
                f"expected an object or a list of assets, got {describe(document)}",
                f'write {{"format": "{FORMAT_ID}", "assets": [...]}}',
            )
            return
        if not isinstance(assets, list):
            self.problem(assets_path, f"expected a list of assets, got {describe(assets)}")
            return
        self.builder = AssetBuilder(
            normaliser=self.normaliser,
            sites=self.sites,
            problems=self.problems,
            observed_at=self.context.observed_at,
            collector=self.collector,
        )
        for index, asset in enumerate(assets):
            self._asset(asset, child_path(assets_path, index))
        if not assets and not self.problems:
            self.problem(assets_path, "no assets: the asset list is empty")

    def _keys(
        self, obj: Mapping[str, object], path: str, known: tuple[str, ...], what: str
    ) -> None:
        for key in obj:
            if key in known or is_ignored(key):
                continue
            matches = closest(header_key(key), known)
            suggestion = f"; did you mean {matches[0]!r}?" if matches else ""
            self.problem(
                child_path(path, key),
                f"unknown {what} key {key!r}{suggestion}",
                "keys: " + ", ".join(known) + "; keys starting with 'x_' or 'note' are ignored",
            )

    def _sites(self, raw: object) -> None:
        if not isinstance(raw, list):
            self.problem("sites", f"expected a list of sites, got {describe(raw)}")
            return
        declared: dict[str, Site] = {}
        for index, entry in enumerate(raw):
            path = child_path("sites", index)
            if not isinstance(entry, dict):
                self.problem(path, f"expected a site object, got {describe(entry)}")
                continue
            site = self._site(entry, path)
            if site is None:
                continue
            if site.id in declared:
                self.problem(path, f"duplicate site id {site.id!r}", "give each site a unique id")
                continue
            declared[site.id] = site
        self.sites = SiteBook(tuple(declared.values()))

    def _site(self, entry: Mapping[str, object], path: str) -> Site | None:
        texts: dict[str, str] = {}
        for key in ("id", "name", "kind", "region"):
            if key in entry:
                try:
                    texts[key] = parse_text(entry[key], single_line=True)
                except ValueProblem as exc:
                    self.problem(child_path(path, key), exc.message, exc.hint)
                    return None
        name = texts.get("name") or texts.get("id", "")
        if not name:
            self.problem(path, "site has no id or name", 'give at least "name"')
            return None
        site = Site(
            id=texts.get("id") or site_slug(name),
            name=name,
            kind=texts.get("kind") or "hospital",
            region=texts.get("region", ""),
        )
        facts: dict[str, tuple[object, tuple[str, ...]]] = {}
        for key, value in entry.items():
            if key in SITE_KEYS or is_ignored(key):
                continue
            self._fact_key(SITE_FACT_COLUMNS, key, value, (key,), path, facts, "site")
        nested = entry.get("facts")
        if nested is not None:
            self._nested_facts(SITE_FACT_COLUMNS, nested, path, facts, "site")
        for column_name, (value, rel) in facts.items():
            spec = SITE_FACT_COLUMNS.by_name[column_name].fact
            assert spec is not None
            try:
                parsed = parse_fact(spec, value)
            except ValueProblem as exc:
                self.problem(_join(path, rel), exc.message, exc.hint)
                continue
            if parsed is not None:
                self.site_observations.append(
                    Observation(
                        SubjectKind.SITE,
                        site.id,
                        spec.name,
                        parsed,
                        ObservationSource.IMPORTED,
                        self.context.observed_at,
                        self.collector,
                    )
                )
        return site

    def _fact_key(
        self,
        columns: ColumnSet,
        key: str,
        value: object,
        rel: tuple[str, ...],
        base: str,
        into: dict[str, tuple[object, tuple[str, ...]]],
        what: str,
    ) -> None:
        """Record the fact ``key`` (at ``base`` + ``rel``) into ``into``, by column name."""
        column = columns.resolve(key)
        if column is None:
            suggestion = columns.suggestion(key)
            self.problem(
                _join(base, rel),
                f"unknown {what} key {key!r}"
                + (f"; did you mean {suggestion!r}?" if suggestion else ""),
                "see the fact columns in docs/inventory-format.md",
            )
            return
        if column.name in into:
            self.problem(
                _join(base, rel),
                f"{what} {key!r} is given twice, also at {_join(base, into[column.name][1])}",
                "give each fact once",
            )
            return
        into[column.name] = (value, rel)

    def _nested_facts(
        self,
        columns: ColumnSet,
        raw: object,
        base: str,
        into: dict[str, tuple[object, tuple[str, ...]]],
        what: str,
    ) -> None:
        """The "facts" object of a site or asset at ``base``."""
        if not isinstance(raw, dict):
            self.problem(
                child_path(base, "facts"), f"expected an object of facts, got {describe(raw)}"
            )
            return
        for key, value in raw.items():
            self._fact_key(columns, key, value, ("facts", key), base, into, f"{what} fact")

    def _asset_column(self, key: str) -> Column | bool | None:
        """The column an asset key names; True for an ignored key, None for an unknown one."""
        if key in self._asset_keys:
            return self._asset_keys[key]
        column: Column | bool | None = (
            True if key == "facts" or is_ignored(key) else ASSET_COLUMNS.resolve(key)
        )
        if len(self._asset_keys) < 1000:
            self._asset_keys[key] = column
        return column

    def _asset(self, raw: object, path: str) -> None:
        assert self.builder is not None
        if not isinstance(raw, dict):
            self.problem(path, f"expected an asset object, got {describe(raw)}")
            return
        found: dict[str, tuple[object, tuple[str, ...]]] = {}
        services: list[Service] = []
        for key, value in raw.items():
            column = self._asset_column(key)
            if column is True:
                continue
            if column is None or column is False:
                suggestion = ASSET_COLUMNS.suggestion(key)
                self.problem(
                    child_path(path, key),
                    f"unknown asset key {key!r}"
                    + (f"; did you mean {suggestion!r}?" if suggestion else ""),
                    "keys starting with 'x_' or 'note' are ignored",
                )
                continue
            if column.name in found:
                self.problem(
                    child_path(path, key),
                    f"{key!r} is given twice, also at {_join(path, found[column.name][1])}: "
                    f"both mean {column.name!r}",
                    "keep only one of them",
                )
                continue
            if column.kind is ColumnKind.SERVICES and isinstance(value, list):
                services = self._services(value, child_path(path, key))
                value = None
            found[column.name] = (value, (key,))
        if "facts" in raw:
            self._nested_facts(ASSET_FACT_COLUMNS, raw["facts"], path, found, "asset")
        values = {
            name: value
            for name, (value, _) in found.items()
            if value is not None and not (isinstance(value, str) and not value.strip())
        }
        keys = {name: rel for name, (_, rel) in found.items()}
        self.builder.build(values, _AssetWhere(self.file, path, keys), services)

    def _services(self, raw: list[object], path: str) -> list[Service]:
        services = []
        for index, entry in enumerate(raw):
            entry_path = child_path(path, index)
            if not isinstance(entry, dict):
                self.problem(
                    entry_path,
                    f"expected a service object, got {describe(entry)}",
                    'e.g. {"protocol": "dicom", "port": 104}',
                )
                continue
            service = self._service(entry, entry_path)
            if service is not None:
                services.append(service)
        return services

    def _service(self, entry: Mapping[str, object], path: str) -> Service | None:
        self._keys(entry, path, SERVICE_KEYS, "service")
        ok = True
        for key in ("protocol", "port"):
            if entry.get(key) is None:
                self.problem(
                    path, f"service has no {key!r}", 'e.g. {"protocol": "dicom", "port": 104}'
                )
                ok = False
        if not ok:
            return None
        try:
            protocol, tls_spelling = parse_protocol(entry["protocol"])
        except ValueProblem as exc:
            self.problem(child_path(path, "protocol"), exc.message, exc.hint)
            return None
        flags: dict[str, bool | None] = {}
        for key in _SERVICE_FLAGS:
            try:
                flags[key] = parse_bool(entry.get(key))
            except ValueProblem as exc:
                self.problem(child_path(path, key), exc.message, exc.hint)
                ok = False
        if tls_spelling:
            if flags["tls"] is False:
                self.problem(child_path(path, "tls"), "'dicom-tls' service with tls false")
                ok = False
            flags["tls"] = True
        try:
            port = parse_port(entry["port"])
        except ValueProblem as exc:
            self.problem(child_path(path, "port"), exc.message, exc.hint)
            ok = False
        ae_title = ""
        if entry.get("ae_title") is not None:
            if protocol is not ServiceProtocol.DICOM:
                self.problem(
                    child_path(path, "ae_title"),
                    f"AE title on a {protocol.value} service",
                    "only DICOM services have AE titles",
                )
                ok = False
            else:
                try:
                    ae_title = parse_ae_title(entry["ae_title"])
                except ValueProblem as exc:
                    self.problem(child_path(path, "ae_title"), exc.message, exc.hint)
                    ok = False
        if not ok:
            return None
        return Service(
            protocol,
            port,
            tls=flags["tls"],
            ae_title=ae_title,
            internet_exposed=flags["internet_exposed"],
            auth_required=flags["auth_required"],
            admin_interface=flags["admin_interface"],
        )
