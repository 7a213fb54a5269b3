"""Names an asset and a feed share: dictionary-normalised vendor/product keys and phrases.

CSAF advisories and CVE descriptions name products in prose ("GE Healthcare", "Orthanc
server"). Both sides go through the catalog's product dictionary, so "GE HealthCare" in the
inventory and "GE Healthcare" in an advisory give the same key, while a same-name product of
another vendor keeps its own vendor key and never matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from imagewarden.catalog.products import ProductDictionary, alias_key
from imagewarden.model.versions import read_version
from imagewarden.vulns.interface import ProductMention

_MAX_PHRASE = 6


@lru_cache(maxsize=16384)
def product_keys(
    dictionary: ProductDictionary, vendor: str, product: str
) -> tuple[str, str] | None:
    """(vendor key, product key) after normalisation; None without a vendor or product."""
    if not vendor.strip() or not product.strip():
        return None
    normal = dictionary.normalise(vendor, product)
    return alias_key(normal.vendor), alias_key(normal.model)


@dataclass
class PhraseIndex:
    """Vendor and product phrases of the dictionary, for finding products named in prose."""

    vendors: dict[str, str] = field(default_factory=dict)
    """phrase -> canonical vendor"""
    products: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """phrase -> [(canonical vendor, canonical product)]"""
    canonical: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """canonical product name phrase -> [(vendor, product)]: a distinctive name such as
    "DCMTK" names its product even when the vendor is not mentioned."""

    @classmethod
    def build(cls, dictionary: ProductDictionary) -> PhraseIndex:
        """The index of every vendor and product spelling in the dictionary."""
        index = cls()
        for entry in dictionary.entries:
            spellings = (
                entry.vendor,
                *entry.aliases,
                *(v.replace("_", " ") for v in entry.cpe_vendors),
            )
            for spelling in spellings:
                key = alias_key(spelling)
                # Two-letter vendor aliases ("GE") are too common in prose to name a vendor.
                if len(key) > 2:
                    index.vendors.setdefault(key, entry.vendor)
            for product in entry.products:
                canonical = alias_key(product.name)
                if len(canonical) > 4:
                    index.canonical.setdefault(canonical, []).append((entry.vendor, product.name))
                names = (
                    product.name,
                    *product.aliases,
                    *product.models,
                    *(p.replace("_", " ") for p in product.cpe_products),
                )
                for spelling in names:
                    key = alias_key(spelling)
                    if len(key) > 2:
                        pairs = index.products.setdefault(key, [])
                        if (entry.vendor, product.name) not in pairs:
                            pairs.append((entry.vendor, product.name))
        return index

    def __post_init__(self) -> None:
        self._longest: dict[str, int] = {}
        self._vendor_words: dict[str, frozenset[str]] = {}

    def _index_phrases(self) -> None:
        """Which words start a known phrase, and its longest phrase in words.

        A description has hundreds of word runs and only those starting with such a word
        can be a phrase of the index, so the others are never joined or looked up.
        """
        self._longest = {}
        for phrase in (*self.vendors, *self.products, *self.canonical):
            words = phrase.split(" ")
            size = min(len(words), _MAX_PHRASE)
            if size > self._longest.get(words[0], 0):
                self._longest[words[0]] = size
        self._vendor_words = {
            vendor: frozenset(alias_key(vendor).split())
            for pairs in self.products.values()
            for vendor, _ in pairs
        }

    def _phrases(self, words: list[str]) -> Iterator[str]:
        """Every run of up to ``_MAX_PHRASE`` words that may be a known phrase, in order."""
        longest = self._longest
        count = len(words)
        for start, word in enumerate(words):
            sizes = longest.get(word)
            if sizes is None:
                continue
            for end in range(start + 1, min(start + sizes, count) + 1):
                yield " ".join(words[start:end])

    def named_products(self, text: str) -> list[tuple[str, str]]:
        """(vendor, product) pairs whose product and vendor are both named in the text."""
        if not self._longest:
            self._index_phrases()
        words = alias_key(text).split()
        vendors: set[str] = set()
        candidates: list[tuple[str, str]] = []
        for phrase in self._phrases(words):
            vendor = self.vendors.get(phrase)
            if vendor is not None:
                vendors.add(vendor)
            for pair in self.products.get(phrase, ()):
                if pair not in candidates:
                    candidates.append(pair)
                # A product phrase that contains its vendor's name names the vendor too.
                if not self._vendor_words[pair[0]].isdisjoint(phrase.split()):
                    vendors.add(pair[0])
        named = [pair for pair in candidates if pair[0] in vendors]
        if not named:
            for phrase in self._phrases(words):
                owners = self.canonical.get(phrase, [])
                if len(owners) == 1 and owners[0] not in named:
                    named.append(owners[0])
        return named


_VERSION = r"v?(\d[\w.\-]*\w|\d)"
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "<",
        re.compile(
            rf"\b(?:prior to|before|earlier than|below|older than)\s+(?:version\s+)?{_VERSION}",
            re.I,
        ),
    ),
    (
        "<=",
        re.compile(rf"\b(?:versions?\s+)?{_VERSION}\s+and\s+(?:prior|earlier|older|below)\b", re.I),
    ),
    (
        "<=",
        re.compile(rf"\b(?:through|up to and including|up to)\s+(?:version\s+)?{_VERSION}", re.I),
    ),
    # "version 3.6.8", and "v3.6.9+ DEV" anywhere: read by ``read_version`` below.
    ("=", re.compile(rf"\bversion\s+{_VERSION}\b", re.I)),
    ("=", re.compile(rf"\b{_VERSION}(?=\+)", re.I)),
)


def _read_at(text: str, start: int) -> tuple[str, str]:
    """The version phrase starting at ``start``, read the one way (``read_version``)."""
    op, version = read_version(text[start:])
    return op, version.rstrip(".,;")


def version_from_text(text: str) -> tuple[str, str]:
    """The affected-version constraint a description states: ('<', '1.5.8') or ('', '')."""
    for op, pattern in _RULES:
        found = pattern.search(text)
        if found:
            if op == "=":
                return _read_at(text, found.start(1))
            return op, found.group(1).rstrip(".,;")
    return "", ""


def version_after_name(product: str, text: str) -> tuple[str, str]:
    """'OFFIS DCMTK 3.6.8' names one affected version right after the product name."""
    last = product.split()[-1]
    found = re.search(rf"\b{re.escape(last)}\s+(?:version\s+)?{_VERSION}", text, re.I)
    return _read_at(text, found.start(1)) if found else ("", "")


def description_mentions(index: PhraseIndex, description: str) -> tuple[ProductMention, ...]:
    """The dictionary products a CVE description names, with the versions it states."""
    pairs = index.named_products(description)
    if not pairs:
        return ()
    mentions = []
    stated = version_from_text(description)
    for vendor, product in pairs:
        op, version = stated if stated[0] else version_after_name(product, description)
        mentions.append(
            ProductMention(
                vendor_key=alias_key(vendor),
                product_key=alias_key(product),
                label=f"{vendor} {product}",
                version_op=op,
                version=version,
                source="description",
            )
        )
    return tuple(mentions)
