"""Catalog: checks, safeguards, frameworks and reference tables, loaded from YAML data."""

from imagewarden.catalog.interface import Catalog
from imagewarden.catalog.loader import default_catalog_dir, load_catalog
from imagewarden.catalog.validate import Problem, validate_catalog

__all__ = ["Catalog", "Problem", "default_catalog_dir", "load_catalog", "validate_catalog"]
