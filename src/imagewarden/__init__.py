"""ImageWarden: cybersecurity readiness for imaging departments."""

__version__ = "0.1.0"
