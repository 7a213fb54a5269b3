"""Site workers and the centre's receiver, on Celery: the third face on the application API.

A worker at each site takes its site's jobs from the broker (``site.<site-id>``), runs them
inside the site's own scope file (collect: no database), and sends signed reports back; the
centre (``imagewarden centre``) checks and applies them (``app.jobs``). See
docs/deployment.md.
"""
