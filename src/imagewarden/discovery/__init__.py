"""discovery capability."""
