"""Report sections: what a capability shows in the readiness report and on the board page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from imagewarden.catalog import Catalog
    from imagewarden.model import AssessmentRun, Asset, Finding, FindingStatus, Site
    from imagewarden.store import Store


class FindingSet(Protocol):
    """Findings a report reads: sized, and iterable again and again.

    On a large assessment they are read from the store a batch at a time on each pass
    (highest risk first), so a reader keeps what it aggregates, not the findings.
    """

    def __len__(self) -> int:
        """How many findings."""
        ...

    def __iter__(self) -> Iterator[Finding]:
        """The findings, one at a time."""
        ...

    def only(
        self,
        *,
        checks: Collection[str] | None = None,
        statuses: Collection[FindingStatus] | None = None,
        asset_ids: Collection[str] | None = None,
        complete: bool | None = None,
    ) -> FindingSet:
        """The findings of these checks, statuses and assets only (selected by the database
        when read from it); ``complete=True`` with their evidence and times, which a
        large assessment's findings are otherwise read without."""
        ...


class HeldFindings(tuple["Finding", ...]):
    """A FindingSet of findings already in memory (a small assessment, or a test's)."""

    __slots__ = ()

    def only(
        self,
        *,
        checks: Collection[str] | None = None,
        statuses: Collection[FindingStatus] | None = None,
        asset_ids: Collection[str] | None = None,
        complete: bool | None = None,
    ) -> HeldFindings:
        """These findings narrowed; held findings are as complete as they were given."""
        del complete
        return HeldFindings(
            f
            for f in self
            if (checks is None or f.check_id in checks)
            and (statuses is None or f.status in statuses)
            and (asset_ids is None or f.asset_id in asset_ids)
        )


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
    ``findings`` may be read from the store on each pass: narrow it with ``findings.only``
    (e.g. to the section's own checks) so the database selects the few a section needs.
    """

    store: Store
    catalog: Catalog
    sites: tuple[Site, ...]
    assets: tuple[Asset, ...]
    findings: FindingSet
    """Every finding of the latest assessment, any status."""
    assessment: AssessmentRun | None
    now: dt.datetime
