"""How finding producers plug into an assessment.

The catalog's rules are one producer; the vulnerability matcher and the checklist scorer are
others. Each reads the same ``EnterpriseView`` and yields findings with stable fingerprints;
the assessment merges them with the stored findings (``lifecycle.merge``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from imagewarden.engine.facts import EnterpriseView
from imagewarden.model import Finding


class FindingProducer(Protocol):
    name: str

    def produce(self, view: EnterpriseView) -> Iterable[Finding]: ...
