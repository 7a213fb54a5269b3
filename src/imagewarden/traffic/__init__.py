"""traffic capability."""
