"""Engine: facts -> findings with risk scores, and the finding lifecycle."""

from imagewarden.engine.assess import AssessmentResult, evaluate, load_view, run_assessment
from imagewarden.engine.facts import EnterpriseView, build_view
from imagewarden.engine.interface import FindingProducer
from imagewarden.engine.rules import CatalogRules

__all__ = [
    "AssessmentResult",
    "CatalogRules",
    "EnterpriseView",
    "FindingProducer",
    "build_view",
    "evaluate",
    "load_view",
    "run_assessment",
]
