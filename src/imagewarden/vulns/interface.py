"""The words of vulnerability intelligence: feed records, asset identities and matches.

Feed readers turn files into these frozen records; the repository stores them; the matcher
joins them to assets; the producer turns matches into findings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FeedKind(StrEnum):
    """The feeds ``feeds import`` recognises, as stored with each import."""

    NVD = "nvd"
    KEV = "kev"
    EPSS = "epss"
    CSAF = "csaf"


class Confidence(StrEnum):
    """How sure a match is; the rule table is in docs/vulnerabilities.md ("Confidence").

    confirmed: a structured source (NVD CPE configuration, CSAF product tree) names the
    asset's own model and its version was checked in range (or every version is affected),
    with every prerequisite known. probable: the asset's own product is named but one thing
    could not be checked (blank or unreadable version, update, a prerequisite fact left
    unknown), or a CVE description names it with a version that fits. possible: only the
    product family matched (a sibling model), or a description names the product with no
    version to check.
    """

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
    """One NVD CVE record: description, CVSS and its CPE configurations."""

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
    """One entry of the CISA Known Exploited Vulnerabilities catalog."""

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
    """The FIRST EPSS exploitation probability of one CVE."""

    cve: str
    epss: float
    percentile: float
    score_date: str


@dataclass(frozen=True, slots=True)
class CsafAdvisory:
    """One CSAF 2.0 advisory: the products it names for each CVE."""

    advisory_id: str
    mentions: tuple[tuple[str, ProductMention], ...]
    """(CVE, product) pairs from the product tree and the product status lists."""


@dataclass(frozen=True, slots=True)
class CveRows:
    """NVD records already turned into the rows of their tables (``imagewarden.vulns.rows``).

    The fast NVD reader builds these straight from the decoded file, a chunk at a time:
    no ``CveRecord`` or ``CpeMatch`` objects in between. Entry ``i`` of each list belongs to
    the same record.
    """

    cves: list[tuple[Any, ...]]
    """One ``vuln_cves`` row per record, in file order."""
    matches: list[tuple[tuple[Any, ...], ...]]
    """Each record's ``vuln_cpe_matches`` rows."""
    mentions: list[tuple[tuple[Any, ...], ...]]
    """Each record's ``vuln_mentions`` rows (products its description names)."""


FeedItem = CveRecord | CveRows | KevEntry | EpssScore | CsafAdvisory
"""Anything a feed reader yields."""


@dataclass(frozen=True, slots=True)
class SbomComponent:
    """One software component of an asset, from its SBOM."""

    name: str
    version: str = ""
    vendor: str = ""
    purl: str = ""
    cpe: str = ""


@dataclass(frozen=True, slots=True)
class Identity:
    """Something an asset runs, in CPE words: its product, its OS, an SBOM component."""

    vendor: str
    product: str
    version: str
    update: str = ""
    origin: str = "model"
    """model, os, sbom, smb ... shown in the match reason."""
    label: str = ""
    """The asset's own name for it, as imported: its model, its OS, an SBOM component."""
    family: str = ""
    """Set when this CPE product is a sibling model in the dictionary family named here,
    not the asset's own model: a match through it is at most possible."""
    unknown: str = ""
    """The fact this identity assumes because the inventory leaves it empty (e.g.
    ``smb.v1_enabled``): a match through it is at most probable, never suppressed."""


@dataclass(frozen=True, slots=True)
class VulnMatch:
    """One CVE that applies to one asset, with how sure the match is and why."""

    asset_id: str
    cve: str
    confidence: Confidence
    reason: str
    matched: str = ""
    """The NVD CPE configuration or the advisory that matched (e.g. 'NVD CPE
    nextgen:mirth_connect < 4.4.1', 'CSAF ICSMA-24-060-01')."""
    compared: Identity | None = None
    """What of the asset was compared with it (its model, OS, an SBOM component)."""
    fixed_version: str = ""
    """The first version that is no longer affected, when the source gives one."""
