"""resilience capability."""
