"""Shared rendering helpers with no data access: labels, SVG charts, PDF, atomic files, CSV.

The report and every capability that writes a document build on these, so a chart or a
label looks the same everywhere and every file is written the same safe way.
"""
