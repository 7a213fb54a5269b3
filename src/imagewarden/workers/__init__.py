"""workers capability."""
