"""Domain model: the words used everywhere, as types. No I/O here.

Each name is imported from its module on first use (PEP 562), so ``from imagewarden.model
import UserInputError`` loads the errors alone, not pydantic and the catalog schemas: commands
such as ``backup verify`` start in a fraction of the time. Type checkers see the imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from imagewarden.model.errors import InfrastructureError, Location, UserInputError
    from imagewarden.model.facts import FACTS, FactSpec, FactType, FactValue
    from imagewarden.model.finding import (
        Finding,
        Lifecycle,
        ObservedFinding,
        RiskFactor,
        RiskScore,
        StoredLifecycle,
        finding_fingerprint,
        fingerprints_of,
        mitigates,
        reopens,
    )
    from imagewarden.model.inventory import (
        ENTERPRISE_SITE_ID,
        ENTERPRISE_SITE_NAME,
        Asset,
        Collected,
        Inventory,
        Observation,
        Service,
        Site,
        unmanaged_asset_id,
    )

# the module of this package that defines each name
_MODULE_OF = {
    name: module
    for module, names in {
        "assessment": ("AssessmentRun",),
        "catalog": (
            "AppliesTo",
            "Check",
            "Condition",
            "Framework",
            "FrameworkRef",
            "OsLifecycle",
            "ProductAlias",
            "ProductEntry",
            "Safeguard",
        ),
        "enums": (
            "AssetCategory",
            "AssetType",
            "Criticality",
            "DefenseLayer",
            "Exploitability",
            "FindingStatus",
            "NetworkZone",
            "ObservationSource",
            "SafeguardType",
            "ServiceProtocol",
            "Severity",
            "SubjectKind",
        ),
        "errors": ("InfrastructureError", "Location", "UserInputError"),
        "facts": ("FACTS", "FactSpec", "FactType", "FactValue"),
        "finding": (
            "Finding",
            "Lifecycle",
            "ObservedFinding",
            "RiskFactor",
            "RiskScore",
            "StoredLifecycle",
            "finding_fingerprint",
            "fingerprints_of",
            "mitigates",
            "reopens",
        ),
        "inventory": (
            "ENTERPRISE_SITE_ID",
            "ENTERPRISE_SITE_NAME",
            "Asset",
            "Collected",
            "Inventory",
            "Observation",
            "Service",
            "Site",
            "unmanaged_asset_id",
        ),
    }.items()
    for name in names
}

if not TYPE_CHECKING:  # hidden from type checkers, which would otherwise accept any name

    def __getattr__(name: str) -> Any:
        """Import ``name`` from its module on first use and keep it here."""
        module = _MODULE_OF.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_MODULE_OF})


__all__ = [
    "ENTERPRISE_SITE_ID",
    "ENTERPRISE_SITE_NAME",
    "FACTS",
    "AppliesTo",
    "AssessmentRun",
    "Asset",
    "AssetCategory",
    "AssetType",
    "Check",
    "Collected",
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
    "InfrastructureError",
    "Inventory",
    "Lifecycle",
    "Location",
    "NetworkZone",
    "Observation",
    "ObservationSource",
    "ObservedFinding",
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
    "StoredLifecycle",
    "SubjectKind",
    "UserInputError",
    "finding_fingerprint",
    "fingerprints_of",
    "mitigates",
    "reopens",
    "unmanaged_asset_id",
]
