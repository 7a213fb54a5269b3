"""The "Governance and culture" section of the readiness report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from imagewarden.contracts import ReportSection

if TYPE_CHECKING:
    from imagewarden.contracts import SectionSource


def governance_section(source: SectionSource) -> ReportSection | None:
    """The section, or None when no governance data was recorded."""
    from imagewarden.governance.overview import governance_data

    data = governance_data(
        source.store,
        source.catalog,
        dt.datetime.now(dt.UTC).date(),
        findings=source.findings,
        site_ids=[s.id for s in source.sites],
        site_names={s.id: s.name for s in source.sites},
    )
    if data is None:
        return None
    return ReportSection(
        key="governance",
        title="Governance and culture",
        template="governance/section.html.j2",
        data=data,
    )
