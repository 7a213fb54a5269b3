"""governance capability."""
