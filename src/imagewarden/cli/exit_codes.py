"""Exit codes, documented in README.md and relied on by scripts and CI pipelines."""

OK = 0
"""Success."""
FINDINGS_AT_OR_ABOVE_THRESHOLD = 1
"""A result the user asked to be told about: an open finding at or above ``--fail-on``, or
backup problems found. Results were written; this is not a failure."""
RESULT_NEEDS_ATTENTION = FINDINGS_AT_OR_ABOVE_THRESHOLD
USAGE_OR_INPUT_ERROR = 2
"""Bad option, malformed or over-limit file, not a database, a database at another schema
revision, a driver that is not installed, a missing path; nothing was written."""
INFRASTRUCTURE_ERROR = 3
"""The database, disk or network could not do the work (unreachable, locked past its wait,
full, corrupt, read-only for a write)."""
INTERNAL_ERROR = 4
"""A bug in ImageWarden ("this is a bug"; the traceback with --debug)."""
INTERRUPTED = 130
"""Interrupted (Ctrl-C)."""
