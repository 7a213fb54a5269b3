"""The resilience capability's tables, repositories and migration branch."""
