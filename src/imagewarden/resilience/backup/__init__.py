"""DICOM backup validation: header reader, manifest, comparison, restore tests."""
