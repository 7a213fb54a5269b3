"""An example ImageWarden capability from a separate package (used by tests)."""
