"""Report sections contributed by capabilities, gathered through the composition root.

Each capability may declare a ``report_section`` (and a ``board_section``) factory; it gets a
``SectionSource`` and returns a ``ReportSection`` rendered by the capability's own partial
template (``<capability>/<file>`` from its templates package), or None when it has nothing
to show. The HTML report renders sections after the built-in ones; the JSON export includes
each section's data under ``sections.<key>``.
"""

from __future__ import annotations

from collections.abc import Iterable

from imagewarden.contracts import Capability, ReportSection, SectionSource

GENERIC_TEMPLATES = ("table.html.j2",)
"""Partials of the report itself that any section may use by bare name."""


def sections_for(
    source: SectionSource, capabilities: Iterable[Capability], *, board: bool = False
) -> tuple[ReportSection, ...]:
    """Every capability's section (or board panel) for this report, in capability order."""
    made: list[ReportSection] = []
    for capability in capabilities:
        factory = capability.board_section if board else capability.report_section
        if factory is None:
            continue
        section = factory(source)
        if section is not None:
            made.append(section)
    return tuple(made)


def template_packages(capabilities: Iterable[Capability]) -> dict[str, str]:
    """Capability name -> package holding its ``templates`` folder."""
    return {c.name: c.templates for c in capabilities if c.templates is not None}
