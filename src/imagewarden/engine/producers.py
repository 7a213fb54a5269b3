"""The engine's own producer list: the catalog's rules, then what the caller injects.

The composition root (``imagewarden.app``) builds the capabilities' producers and hands them
to ``run_assessment``; the engine never knows which capabilities exist.
"""

from __future__ import annotations

from collections.abc import Sequence

from imagewarden.catalog import Catalog
from imagewarden.contracts import FindingProducer
from imagewarden.engine.rules import CatalogRules


def with_catalog_rules(
    catalog: Catalog, others: Sequence[FindingProducer]
) -> list[FindingProducer]:
    """The catalog's rules first (their findings win a fingerprint tie), then ``others``."""
    return [CatalogRules(catalog), *others]
