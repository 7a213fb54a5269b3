"""Discovery's persistence: no tables of its own; it writes the core inventory tables."""
