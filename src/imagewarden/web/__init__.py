"""The shared web workspace: FastAPI, server-rendered Jinja2 pages with HTMX, a JSON API.

Thin like the command line: every route declares the action it performs (the permission
matrix in ``imagewarden.app.permissions``) and calls one application API function; templates
only show what the function returned. ``create_app`` builds the application from a function
that opens the workspace; ``server.run`` serves it with uvicorn.
"""
