"""store capability."""
