"""Alembic revisions of the traffic capability's branch (label "traffic")."""
