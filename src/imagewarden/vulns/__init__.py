"""vulns capability."""
