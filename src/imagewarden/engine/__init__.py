"""Engine: facts -> findings with risk scores, and the finding lifecycle.

Capabilities build their finding producers on ``score`` (the explainable risk score),
``redact`` (evidence without patient data or secrets) and the ``EnterpriseView``.
"""

from imagewarden.contracts import EnterpriseView, FindingProducer
from imagewarden.engine.assess import AssessmentResult, evaluate, load_view, run_assessment
from imagewarden.engine.facts import build_view
from imagewarden.engine.producers import with_catalog_rules
from imagewarden.engine.redaction import redact
from imagewarden.engine.risk import score
from imagewarden.engine.rules import CatalogRules

__all__ = [
    "AssessmentResult",
    "CatalogRules",
    "EnterpriseView",
    "FindingProducer",
    "build_view",
    "evaluate",
    "load_view",
    "redact",
    "run_assessment",
    "score",
    "with_catalog_rules",
]
