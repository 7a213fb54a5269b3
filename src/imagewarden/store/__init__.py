"""Store: SQLAlchemy models, Alembic migrations and the repository every capability uses."""

from imagewarden.store.database import DB_ENV, resolve_url
from imagewarden.store.repository import FindingFilter, ImportSummary, Store

__all__ = ["DB_ENV", "FindingFilter", "ImportSummary", "Store", "resolve_url"]
