"""Exit codes, documented in README.md and relied on by scripts and CI pipelines."""

OK = 0
"""Success, and no finding at or above --fail-on."""
FINDINGS_AT_OR_ABOVE_THRESHOLD = 1
"""The command worked and found findings at or above --fail-on."""
USAGE_OR_INPUT_ERROR = 2
"""Bad option, bad input file or unusable database; nothing was written."""
INFRASTRUCTURE_ERROR = 3
"""The database, disk or network could not do the work (locked past the wait, full, down)."""
INTERRUPTED = 130
