"""Report sections contributed by capabilities (vulnerabilities, resilience, governance, ...).

A capability adds a factory to ``FACTORIES``. The factory reads the store and returns a
``ReportSection`` (or None when it has nothing to show). The HTML report renders each section
with its partial template from ``report/templates/sections/``, after the built-in sections;
the JSON export includes each section's data under ``sections.<key>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagewarden.catalog import Catalog
    from imagewarden.store import Store


@dataclass(frozen=True)
class ReportSection:
    key: str
    """Stable identifier, used as the HTML anchor and the JSON key."""
    title: str
    template: str
    """Partial template file name under report/templates/sections/."""
    data: Mapping[str, Any]
    """JSON-ready data the partial renders (available to it as ``data``)."""


SectionFactory = Callable[["Store", "Catalog"], ReportSection | None]

FACTORIES: list[SectionFactory] = []


def sections_for(store: Store, catalog: Catalog) -> tuple[ReportSection, ...]:
    made = (factory(store, catalog) for factory in FACTORIES)
    return tuple(section for section in made if section is not None)
