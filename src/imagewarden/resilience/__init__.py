"""Respond and recover: backup validation, recovery planning, incident response and drills."""
