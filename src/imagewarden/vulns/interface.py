"""The words of vulnerability intelligence: feed records, asset identities and matches.

Feed readers turn files into these frozen records; the repository stores them; the matcher
joins them to assets; the producer turns matches into findings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Protocol


class FeedKind(StrEnum):
    NVD = "nvd"
    KEV = "kev"
    EPSS = "epss"
    CSAF = "csaf"


class Confidence(StrEnum):
    """How sure a match is: confirmed (CPE and version checked), probable, possible."""

    CONFIRMED = "confirmed"
    PROBABLE = "probable"
    POSSIBLE = "possible"


class Priority(StrEnum):
    """What to do: act now, attend in the next cycle, or track."""

    ACT = "act"
    ATTEND = "attend"
    TRACK = "track"


@dataclass(frozen=True, slots=True)
class CpeMatch:
    """One ``cpeMatch`` entry of an NVD configuration node."""

    config: int
    """Index of the configuration within the CVE (AND/OR groups are per configuration)."""
    node: int
    operator: str
    """The configuration's operator: AND (every node must match) or OR."""
    vulnerable: bool
    part: str
    vendor: str
    product: str
    version: str
    update: str
    start_including: str = ""
    start_excluding: str = ""
    end_including: str = ""
    end_excluding: str = ""


@dataclass(frozen=True, slots=True)
class ProductMention:
    """A product named for a CVE outside CPE data: a CSAF product tree or the description."""

    vendor_key: str
    product_key: str
    label: str
    version_op: str
    """'' (any version), '<', '<=', '=' or '>=' ... compared with ``version``."""
    version: str
    source: str
    """'csaf:<advisory id>' or 'description'."""


@dataclass(frozen=True, slots=True)
class CveRecord:
    cve: str
    published: str
    last_modified: str
    status: str
    description: str
    cvss_version: str
    cvss_score: float | None
    cvss_severity: str
    cvss_vector: str
    matches: tuple[CpeMatch, ...]
    mentions: tuple[ProductMention, ...] = ()


@dataclass(frozen=True, slots=True)
class KevEntry:
    cve: str
    vendor: str
    product: str
    name: str
    date_added: str
    due_date: str
    ransomware: bool
    catalog_version: str


@dataclass(frozen=True, slots=True)
class EpssScore:
    cve: str
    epss: float
    percentile: float
    score_date: str


@dataclass(frozen=True, slots=True)
class CsafAdvisory:
    advisory_id: str
    mentions: tuple[tuple[str, ProductMention], ...]
    """(CVE, product) pairs from the product tree and the product status lists."""


FeedItem = CveRecord | KevEntry | EpssScore | CsafAdvisory


class FeedReader(Protocol):
    """Reads one feed file as a stream of records; raises UserInputError on bad input."""

    kind: FeedKind

    def read(self, path: Path) -> Iterator[FeedItem]: ...


@dataclass(frozen=True, slots=True)
class Identity:
    """Something an asset runs, in CPE words: its product, its OS, an SBOM component."""

    vendor: str
    product: str
    version: str
    update: str = ""
    origin: str = "model"
    """model, os, sbom, smb ... shown in the match reason."""


@dataclass(frozen=True, slots=True)
class VulnMatch:
    asset_id: str
    cve: str
    confidence: Confidence
    reason: str
