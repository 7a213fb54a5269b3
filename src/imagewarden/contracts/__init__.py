"""The contracts between ImageWarden's core and its capabilities.

A capability (inventory, discovery, vulnerabilities, resilience, governance, or one from
another package) exports one ``Capability`` object through the Python entry point group
``imagewarden.capabilities``. The composition root (``imagewarden.app``) collects them and
injects what they declare into the assessment (finding producers), the reports (sections),
the catalog loader (catalog sections), the schema (migrations) and the command line.

This package holds only declarations; importing it costs almost nothing, so the command line
can list every capability's commands without importing the capabilities themselves.
"""

from imagewarden.contracts.capability import (
    ENTRY_POINT_GROUP,
    Capability,
    CommandSpec,
    Persistence,
)
from imagewarden.contracts.plan import ImprovementAction
from imagewarden.contracts.producers import EnterpriseView, Facts, FindingProducer, ProducerContext
from imagewarden.contracts.sections import FindingSet, HeldFindings, ReportSection, SectionSource

__all__ = [
    "ENTRY_POINT_GROUP",
    "Capability",
    "CommandSpec",
    "EnterpriseView",
    "Facts",
    "FindingProducer",
    "FindingSet",
    "HeldFindings",
    "ImprovementAction",
    "Persistence",
    "ProducerContext",
    "ReportSection",
    "SectionSource",
]
