"""The vulns capability's tables, repositories and migration branch."""
