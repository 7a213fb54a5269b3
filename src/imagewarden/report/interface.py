"""What renderers receive and what they must do. Renderers only read; they never write the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from imagewarden.catalog import Catalog
from imagewarden.contracts import FindingSet, HeldFindings, ReportSection
from imagewarden.model import AssessmentRun, Asset, FactValue, Site


@dataclass(frozen=True)
class ReportContext:
    """Everything a report shows, read from what the latest assessment stored."""

    title: str
    generated_at: dt.datetime
    catalog: Catalog
    sites: tuple[Site, ...]
    assets: tuple[Asset, ...]
    findings: FindingSet
    """All findings of the latest assessment, any status; renderers choose what to show.
    A plain sequence of findings is held as given; a large assessment's are read from the
    store on each pass (see ``report.views.view_findings``)."""
    asset_facts: Mapping[str, Mapping[str, FactValue]]
    """Per asset id: its record facts and the facts the assessment derived and stored
    (e.g. os.end_of_support)."""
    assessment: AssessmentRun | None
    enterprise: str = ""
    """Name of the health system or organisation, shown in the header."""
    sections: tuple[ReportSection, ...] = ()
    """Sections contributed by capabilities (see report/sections.py)."""
    templates: Mapping[str, str] = field(default_factory=dict)
    """Capability name -> package with the ``templates`` folder of its sections."""

    def __post_init__(self) -> None:
        if isinstance(self.findings, (tuple, list)) and not isinstance(self.findings, HeldFindings):
            object.__setattr__(self, "findings", HeldFindings(self.findings))


class Renderer(Protocol):
    """Writes a report of a context in one format."""

    format: str
    """Name used on the command line: html, json, csv."""

    def render(self, context: ReportContext, out: Path) -> None:
        """Write the report of ``context`` to ``out``, atomically."""
