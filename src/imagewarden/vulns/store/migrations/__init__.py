"""Alembic revisions of the vulns capability's branch (label "vulns")."""
