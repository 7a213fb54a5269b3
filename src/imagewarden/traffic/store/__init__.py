"""The traffic capability's tables, repository and migration branch ("traffic")."""
