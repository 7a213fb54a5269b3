"""The one stylesheet of ImageWarden's documents: the readiness report, the IR plan, the
tabletop package and the after-action report look alike on screen and on paper.

A document's template environment adds ``shared_templates()`` to its loaders and includes
the sheet inline (``<style>{% include "document.css" %}</style>``), so each document stays a
single self-contained file.
"""

from __future__ import annotations

import jinja2

STYLESHEET = "document.css"


def shared_templates() -> jinja2.BaseLoader:
    """A loader for the shared stylesheet (``render/templates``)."""
    return jinja2.PackageLoader("imagewarden.render", "templates")
