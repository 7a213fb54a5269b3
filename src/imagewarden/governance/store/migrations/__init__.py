"""Alembic revisions of the governance capability's branch (label "governance")."""
