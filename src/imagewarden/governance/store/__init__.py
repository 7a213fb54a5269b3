"""The governance capability's tables, repositories and migration branch."""
