"""Store: the core tables, the unit-of-work session API and the migration machinery.

Capabilities keep their own tables and repositories in their own ``store`` modules, built on
``Store.reading()`` / ``Store.writing()`` and on a migration branch of their own (see
``schema_versions``); nothing outside a store module writes SQL.
"""

from imagewarden.store import accounts, triage  # noqa: F401  (their tables join the schema)
from imagewarden.store.audit import AuditEntry, ChainCheck, Change
from imagewarden.store.database import DB_ENV, display_url, mask_credentials, resolve_url
from imagewarden.store.errors import LockTimeout, StoreUnavailable
from imagewarden.store.finding_writes import StagedFindings
from imagewarden.store.findings import FindingFilter, RecordedAssessment
from imagewarden.store.observations import ObservationBatch, replace_observations
from imagewarden.store.repository import (
    CollectedSummary,
    ImportSummary,
    Store,
    UpgradeOutcome,
    write_collected,
)
from imagewarden.store.schema import Base
from imagewarden.store.schema_versions import Schema, SchemaState, SchemaStatus

__all__ = [
    "DB_ENV",
    "AuditEntry",
    "Base",
    "ChainCheck",
    "Change",
    "CollectedSummary",
    "FindingFilter",
    "ImportSummary",
    "LockTimeout",
    "ObservationBatch",
    "RecordedAssessment",
    "Schema",
    "SchemaState",
    "SchemaStatus",
    "StagedFindings",
    "Store",
    "StoreUnavailable",
    "UpgradeOutcome",
    "display_url",
    "mask_credentials",
    "replace_observations",
    "resolve_url",
    "write_collected",
]
