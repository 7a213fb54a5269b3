"""The "Governance and culture" section of the readiness report."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from imagewarden.report.sections import ReportSection

if TYPE_CHECKING:
    from imagewarden.catalog import Catalog
    from imagewarden.store import Store


def governance_section(store: Store, catalog: Catalog) -> ReportSection | None:
    from imagewarden.governance.overview import governance_data

    data = governance_data(store, catalog, dt.datetime.now(dt.UTC).date())
    if data is None:
        return None
    return ReportSection(
        key="governance",
        title="Governance and culture",
        template="governance.html.j2",
        data=data,
    )
