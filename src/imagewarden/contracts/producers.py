"""Finding producers: what turns the facts of one moment into findings.

The catalog's rules are the engine's own producer; the vulnerability matcher, the checklist
scorer and the drill and backup producers come from capabilities. Each reads the same
``EnterpriseView`` and yields findings with stable fingerprints; the assessment merges them
with the stored findings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from imagewarden.catalog import Catalog
    from imagewarden.model import Asset, FactValue, Finding, Site, SubjectKind
    from imagewarden.store import Store

Facts = dict[str, "FactValue"]


@dataclass(frozen=True)
class EnterpriseView:
    """Sites, assets and their facts as of one moment: every producer's whole input."""

    today: dt.date
    sites: Mapping[str, Site]
    assets: Mapping[str, Asset]
    site_facts: Mapping[str, Facts]
    asset_facts: Mapping[str, Facts]
    service_facts: Mapping[str, Facts]
    """Keyed by service key (``asset:protocol/port``); asset facts are not repeated here."""
    derived: Mapping[SubjectKind, Mapping[str, Facts]] = field(default_factory=dict)
    """The facts the engine derived (already part of the facts above), per subject kind and
    id: the assessment stores them so reports read what was assessed."""


class FindingProducer(Protocol):
    """Turns the view into findings. Pure with respect to the store: it may read, never write."""

    name: str

    def produce(self, view: EnterpriseView) -> Iterable[Finding]:
        """Every finding this producer sees in ``view``."""
        ...


@dataclass(frozen=True)
class ProducerContext:
    """What a capability may read to build its producers for one assessment."""

    store: Store
    catalog: Catalog
    today: dt.date
