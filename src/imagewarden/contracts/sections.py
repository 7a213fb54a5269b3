"""Report sections: what a capability shows in the readiness report and on the board page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagewarden.catalog import Catalog
    from imagewarden.model import AssessmentRun, Asset, Finding, Site
    from imagewarden.store import Store


@dataclass(frozen=True)
class ReportSection:
    """A block of a report, rendered by the capability's own partial template."""

    key: str
    """Stable identifier, used as the HTML anchor and the JSON key."""
    title: str
    template: str
    """``<capability name>/<file>``: a file in the capability's templates folder."""
    data: Mapping[str, Any]
    """JSON-ready data the partial renders (available to it as ``data``)."""


@dataclass(frozen=True)
class SectionSource:
    """What a section may read: the store, and what the report already read from it.

    Read ``sites``, ``assets`` and ``findings`` from here rather than from the store again:
    on a large enterprise each read costs a noticeable part of the report's time budget.
    """

    store: Store
    catalog: Catalog
    sites: tuple[Site, ...]
    assets: tuple[Asset, ...]
    findings: tuple[Finding, ...]
    """Every finding of the latest assessment, any status."""
    assessment: AssessmentRun | None
    now: dt.datetime
