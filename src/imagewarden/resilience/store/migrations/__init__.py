"""Alembic revisions of the resilience capability's branch (label "resilience")."""
