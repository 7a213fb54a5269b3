"""engine capability."""
