"""Assets x CVEs: CPE configurations first, then CSAF products and description mentions.

Confidence follows the one rule table in docs/vulnerabilities.md ("Confidence"):
- confirmed: an NVD CPE configuration or a CSAF product tree names the asset's own model and
  the asset's version was checked in range (or every version is affected), every
  prerequisite known;
- probable: the asset's own product is named but one thing could not be checked (blank or
  unreadable version against a range, an update, a prerequisite fact left unknown), or a CVE
  description names it and the version fits;
- possible: only the product family matched (a sibling model's CPE or advisory product), or
  a description names the product with no version to check.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from imagewarden.catalog.products import alias_key
from imagewarden.model.versions import compare, in_range, is_version, open_ended, satisfies
from imagewarden.vulns.cpe import is_any
from imagewarden.vulns.interface import (
    Confidence,
    CpeMatch,
    Identity,
    ProductMention,
    VulnMatch,
)
from imagewarden.vulns.range_index import BoundOrder, RangeIndex
from imagewarden.vulns.store.repository import StoredMention

_RANK = {Confidence.CONFIRMED: 2, Confidence.PROBABLE: 1, Confidence.POSSIBLE: 0}


@dataclass(frozen=True, slots=True)
class Found:
    """How one CVE matched: confidence, reason and what was compared with what."""

    confidence: Confidence
    reason: str
    matched: str = ""
    """The configuration or advisory that matched."""
    compared: Identity | None = None
    fixed_version: str = ""


def _better(new: Found, known: Found | None) -> bool:
    return known is None or _RANK[new.confidence] > _RANK[known.confidence]


def _weaker(a: Confidence, b: Confidence) -> Confidence:
    return a if _RANK[a] <= _RANK[b] else b


def _version_fits(entry: CpeMatch, version: str, ranged: bool) -> bool:
    if not is_any(entry.version) and compare(version, entry.version) != 0:
        return False
    return not ranged or in_range(
        version,
        start_including=entry.start_including,
        start_excluding=entry.start_excluding,
        end_including=entry.end_including,
        end_excluding=entry.end_excluding,
    )


def _beyond(entry: CpeMatch, base: str, ranged: bool) -> bool:
    """Is every version from ``base`` on past what the entry covers?"""
    if not ranged:
        return compare(base, entry.version) > 0
    if entry.end_excluding and compare(base, entry.end_excluding) >= 0:
        return True
    return bool(entry.end_including) and compare(base, entry.end_including) > 0


def capped(level: Confidence, who: Identity) -> Confidence:
    """A sibling model's CPE gives at most possible; an assumed (unknown) fact probable."""
    if who.family:
        return Confidence.POSSIBLE
    if who.unknown:
        return _weaker(level, Confidence.PROBABLE)
    return level


def _entry_match(entry: CpeMatch, who: Identity) -> Confidence | None:
    """Does one cpeMatch entry cover this identity? None when it does not."""
    if entry.vendor != who.vendor or entry.product != who.product:
        return None
    confidence = Confidence.CONFIRMED
    ranged = any(
        (entry.start_including, entry.start_excluding, entry.end_including, entry.end_excluding)
    )
    if not is_any(entry.version) or ranged:
        base = open_ended(who.version)
        if base:
            # "3.6.9+ DEV": some build at or after 3.6.9; affected only if the entry's upper
            # bound lies above the base, and even then the build is not known.
            if _beyond(entry, base, ranged):
                return None
            confidence = Confidence.PROBABLE
        elif not who.version or not is_version(who.version):
            confidence = Confidence.PROBABLE
        elif not _version_fits(entry, who.version, ranged):
            return None
    if not is_any(entry.update):
        if not who.update:
            confidence = _weaker(confidence, Confidence.PROBABLE)
        elif who.update.lower() != entry.update:
            return None
    return capped(confidence, who)


@dataclass(frozen=True, slots=True)
class _Hit:
    confidence: Confidence
    entry: CpeMatch
    who: Identity


def _node_hit(entries: Sequence[CpeMatch], ids: Sequence[Identity]) -> _Hit | None:
    best: _Hit | None = None
    for entry in entries:
        for who in ids:
            found = _entry_match(entry, who)
            if found is not None and (best is None or _RANK[found] > _RANK[best.confidence]):
                best = _Hit(found, entry, who)
    return best


def _describe(entry: CpeMatch) -> str:
    bounds = [
        f">= {entry.start_including}" if entry.start_including else "",
        f"> {entry.start_excluding}" if entry.start_excluding else "",
        f"<= {entry.end_including}" if entry.end_including else "",
        f"< {entry.end_excluding}" if entry.end_excluding else "",
    ]
    version = " ".join(b for b in bounds if b) or (
        "any version" if is_any(entry.version) else entry.version
    )
    return f"{entry.vendor}:{entry.product} {version}"


Configurations = list[tuple[str, list[list[CpeMatch]]]]
"""A CVE's configurations: (operator, nodes), each node a list of entries."""


def group_configurations(entries: Sequence[CpeMatch]) -> Configurations:
    """A CVE's stored entries regrouped into its configurations and nodes."""
    configs: dict[int, dict[int, list[CpeMatch]]] = defaultdict(lambda: defaultdict(list))
    for entry in entries:
        configs[entry.config][entry.node].append(entry)
    return [
        (next(iter(nodes.values()))[0].operator, list(nodes.values())) for nodes in configs.values()
    ]


def _unknown_platform(entries: Sequence[CpeMatch], ids: Sequence[Identity]) -> _Hit | None:
    """An operating-system platform node, for an asset whose OS is left empty: probable."""
    unknown = next((w for w in ids if w.origin == "os" and w.unknown and not w.product), None)
    if unknown is None or not entries:
        return None
    if any(e.vulnerable or e.part != "o" for e in entries):
        return None
    first = entries[0]
    others = f" or {len(entries) - 1} other platforms" if len(entries) > 1 else ""
    shown = replace(first, product=first.product + others)
    return _Hit(Confidence.PROBABLE, shown, unknown)


def match_configurations(configs: Configurations, ids: Sequence[Identity]) -> Found | None:
    """The best configuration of a CVE this asset satisfies, with the reason."""
    best: Found | None = None
    for operator, nodes in configs:
        hits: list[_Hit] = []
        if operator == "AND":
            for node_entries in nodes:
                hit = _node_hit(node_entries, ids) or _unknown_platform(node_entries, ids)
                if hit is None:
                    hits = []
                    break
                hits.append(hit)
        else:
            for node_entries in nodes:
                vulnerable = [e for e in node_entries if e.vulnerable]
                hit = _node_hit(vulnerable, ids)
                if hit is not None:
                    hits = [hit]
                    break
        vulnerable_hits = [h for h in hits if h.entry.vulnerable]
        if not vulnerable_hits:
            continue
        confidence = Confidence.CONFIRMED
        for hit in hits:
            confidence = _weaker(confidence, hit.confidence)
        reason = "NVD CPE " + " on ".join(f"{_describe(h.entry)} ({_who(h.who)})" for h in hits)
        first = vulnerable_hits[0]
        found = Found(
            confidence,
            reason,
            matched="NVD CPE " + " on ".join(_describe(h.entry) for h in hits),
            compared=first.who,
            fixed_version=first.entry.end_excluding,
        )
        if _better(found, best):
            best = found
    return best


def match_mention(mention: ProductMention, version: str) -> Found | None:
    """Does the product named by an advisory or a description, at this version, match?

    A CSAF product tree is structured like a CPE configuration: version in range confirmed,
    version not checkable (blank asset version, no range given) probable. A description is
    prose: a version that fits is probable, nothing to check possible.
    """
    source = "CSAF " + mention.source[5:] if mention.source.startswith("csaf:") else "description"
    label = f"{source} names {mention.label}"
    advisory = mention.source.startswith("csaf:")
    fixed = mention.version if mention.version_op == "<" else ""
    unchecked = Confidence.PROBABLE if advisory else Confidence.POSSIBLE
    if not mention.version_op:
        return Found(unchecked, f"{label} (all versions)" if advisory else label, label)
    if not version or not is_version(version):
        return Found(unchecked, f"{label}; asset version unknown", label, None, fixed)
    base = open_ended(version)
    if base:
        # "3.6.9+ DEV": some build at or after the base; only an upper bound can rule it out.
        high = mention.version.split("|", 1)[-1]
        if mention.version_op in ("<", "<=", "=", "range") and not satisfies(
            base, "<=" if mention.version_op in ("=", "range") else mention.version_op, high
        ):
            return None
        reason = f"{label}; asset version {version} read as {base} or later, build unknown"
        return Found(unchecked, reason, label, None, fixed)
    if mention.version_op == "range":
        low, high = mention.version.split("|", 1)
        fits = satisfies(version, ">=", low) and satisfies(version, "<=", high)
    else:
        fits = satisfies(version, mention.version_op, mention.version)
    if not fits:
        return None
    level = Confidence.CONFIRMED if advisory else Confidence.PROBABLE
    return Found(level, f"{label}; asset version {version} is affected", label, None, fixed)


def _named_model(label: str, models: Sequence[str]) -> str:
    """The longest family model name the label names as whole words, or ''."""
    text = f" {alias_key(label)} "
    return next((m for m in models if f" {m} " in text), "")


def _family_only(found: Found, asset: AssetProducts, mention: ProductMention) -> Found:
    """An advisory or description that does not name the asset's own model: possible.

    For a model of a dictionary family, a source naming another model or only the family is a
    family-level match.
    """
    if not asset.family:
        return found
    named = _named_model(mention.label, asset.family_models)
    if named == alias_key(asset.model):
        return found
    named = named or "the product family"
    reason = (
        f"{found.reason}; family match only: it names {named}, asset model {asset.model} is "
        f"another model of the {asset.family} family"
    )
    return Found(Confidence.POSSIBLE, reason, found.matched, None, found.fixed_version)


@dataclass(frozen=True, slots=True)
class AssetProducts:
    """What the matcher knows about one asset."""

    asset_id: str
    identities: tuple[Identity, ...]
    name_key: tuple[str, str] | None
    """Dictionary-normalised (vendor, product) for CSAF/description mentions."""
    version: str
    model: str = ""
    """The asset's model as imported."""
    family: str = ""
    """The dictionary family the model is one of, when the family groups several models."""
    family_models: tuple[str, ...] = ()
    """The family's model names (alias keys, longest first)."""


def _who(who: Identity) -> str:
    """'asset model Mirth Connect, version 4.4.0': what of the asset was compared."""
    text = f"asset {who.origin}"
    if who.label:
        text += f" {who.label}"
    if who.version:
        text += f", version {who.version}"
    elif who.origin in ("model", "sbom"):
        text += ", version unknown"
    if who.update and who.update.lower() not in (who.label or "").lower():
        text += f" {who.update}"
    if who.family:
        text += f"; family match only: {who.product} is another model of the {who.family} family"
    if who.unknown == "asset.os":
        text += "; asset.os unknown, assumed this platform"
    elif who.unknown:
        text += f"; {who.unknown} unknown, assumed yes"
    return text


class Matcher:
    """Matches assets against CPE entries and mentions indexed by vendor and product.

    Most CVEs have OR configurations: the asset is affected when any vulnerable entry covers
    one of its identities. Those entries are indexed per (vendor, product) and checked in one
    tight loop; CVEs with AND configurations (firmware on hardware, a component on a platform)
    go through ``match_configurations``. Results are memoised per distinct product set and
    version, because an enterprise has many identical devices.
    """

    def __init__(
        self, cpe_entries: Mapping[str, Sequence[CpeMatch]], mentions: Iterable[StoredMention]
    ) -> None:
        self.entries = cpe_entries
        self.simple: dict[tuple[str, str], RangeIndex] = defaultdict(RangeIndex)
        self.complex: dict[tuple[str, str], set[str]] = defaultdict(set)
        self.by_product: dict[tuple[str, str], set[str]] = defaultdict(set)
        for cve, entries in cpe_entries.items():
            has_and = any(e.operator == "AND" for e in entries)
            for entry in entries:
                if not entry.vulnerable:
                    continue
                key = (entry.vendor, entry.product)
                self.by_product[key].add(cve)
                if has_and:
                    self.complex[key].add(cve)
                else:
                    self.simple[key].add(cve, entry)
        self.order = BoundOrder({b for index in self.simple.values() for b in index.bounds()})
        for index in self.simple.values():
            index.freeze(self.order)
        self.mentions: dict[tuple[str, str], list[StoredMention]] = defaultdict(list)
        for stored in mentions:
            key = (stored.mention.vendor_key, stored.mention.product_key)
            self.mentions[key].append(stored)
        self._memo: dict[tuple[object, ...], dict[str, Found]] = {}
        self._grouped: dict[str, Configurations] = {}

    def _cpe(self, ids: Sequence[Identity]) -> dict[str, Found]:
        found: dict[str, Found] = {}
        complex_cves: set[str] = set()
        for who in ids:
            key = (who.vendor, who.product)
            more = self.complex.get(key)
            if more:
                complex_cves |= more
            index = self.simple.get(key)
            for cve, entry, known_level in index.affected(who, self.order) if index else ():
                level = capped(known_level, who) if known_level else _entry_match(entry, who)
                if level is None:
                    continue
                known = found.get(cve)
                if known is not None and _RANK[level] <= _RANK[known.confidence]:
                    continue  # as _better decides; the texts are built for a better hit only
                matched = f"NVD CPE {_describe(entry)}"
                found[cve] = Found(
                    level, f"{matched} ({_who(who)})", matched, who, entry.end_excluding
                )
        for cve in complex_cves:
            grouped = self._grouped.get(cve)
            if grouped is None:
                grouped = self._grouped[cve] = group_configurations(self.entries[cve])
            result = match_configurations(grouped, ids)
            if result is not None and _better(result, found.get(cve)):
                found[cve] = result
        return found

    def _evaluate(self, asset: AssetProducts) -> dict[str, Found]:
        found = self._cpe(asset.identities)
        stored_mentions = self.mentions.get(asset.name_key) if asset.name_key else None
        if stored_mentions:
            candidates: set[str] = set()
            for who in asset.identities:
                candidates |= self.by_product.get((who.vendor, who.product), set())
            for stored in stored_mentions:
                if stored.cve in candidates:
                    continue  # NVD's CPE data names this product for the CVE: it decides
                result = match_mention(stored.mention, asset.version)
                if result is not None:
                    result = _family_only(result, asset, stored.mention)
                if result is not None and _better(result, found.get(stored.cve)):
                    found[stored.cve] = result
        return found

    def match(self, asset: AssetProducts) -> list[VulnMatch]:
        """Every CVE that applies to the asset, best match per CVE, sorted by CVE id."""
        key = (asset.identities, asset.name_key, asset.version, asset.model, asset.family_models)
        found = self._memo.get(key)
        if found is None:
            found = self._evaluate(asset)
            self._memo[key] = found
        return [
            VulnMatch(
                asset.asset_id, cve, f.confidence, f.reason, f.matched, f.compared, f.fixed_version
            )
            for cve, f in sorted(found.items())
        ]
