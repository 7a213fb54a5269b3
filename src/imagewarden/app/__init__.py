"""The application: one composition root and the core application API.

``open_workspace`` collects the installed capabilities (entry point group
``imagewarden.capabilities``), loads the catalog with their sections, opens the store at the
schema of every capability, and returns a ``Workspace``: the one object the command line,
the web workspace and the site workers hand to every application function. Application
functions take typed inputs, return frozen results and print nothing.
"""

from imagewarden.app.workspace import Workspace, load_catalog, open_store, open_workspace, schema
from imagewarden.contracts.registry import installed_capabilities

__all__ = [
    "Workspace",
    "installed_capabilities",
    "load_catalog",
    "open_store",
    "open_workspace",
    "schema",
]
