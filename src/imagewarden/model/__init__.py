"""Domain model: the words used everywhere, as types. No I/O here."""

from imagewarden.model.assessment import AssessmentRun
from imagewarden.model.catalog import (
    AppliesTo,
    Check,
    Condition,
    Framework,
    FrameworkRef,
    OsLifecycle,
    ProductAlias,
    ProductEntry,
    Safeguard,
)
from imagewarden.model.enums import (
    AssetCategory,
    AssetType,
    Criticality,
    DefenseLayer,
    Exploitability,
    FindingStatus,
    NetworkZone,
    ObservationSource,
    SafeguardType,
    ServiceProtocol,
    Severity,
    SubjectKind,
)
from imagewarden.model.errors import Location, UserInputError
from imagewarden.model.facts import FACTS, FactSpec, FactType, FactValue
from imagewarden.model.finding import Finding, RiskFactor, RiskScore, finding_fingerprint
from imagewarden.model.inventory import Asset, Inventory, Observation, Service, Site

__all__ = [
    "FACTS",
    "AppliesTo",
    "AssessmentRun",
    "Asset",
    "AssetCategory",
    "AssetType",
    "Check",
    "Condition",
    "Criticality",
    "DefenseLayer",
    "Exploitability",
    "FactSpec",
    "FactType",
    "FactValue",
    "Finding",
    "FindingStatus",
    "Framework",
    "FrameworkRef",
    "Inventory",
    "Location",
    "NetworkZone",
    "Observation",
    "ObservationSource",
    "OsLifecycle",
    "ProductAlias",
    "ProductEntry",
    "RiskFactor",
    "RiskScore",
    "Safeguard",
    "SafeguardType",
    "Service",
    "ServiceProtocol",
    "Severity",
    "Site",
    "SubjectKind",
    "UserInputError",
    "finding_fingerprint",
]
