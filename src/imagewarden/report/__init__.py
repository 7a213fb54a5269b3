"""report capability."""
