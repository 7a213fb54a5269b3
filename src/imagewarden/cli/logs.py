"""Logging for the command line: module loggers to stderr, or to an owner-only file."""

from __future__ import annotations

import logging
import os
from pathlib import Path

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}  # fmt: skip
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str, file: Path | None = None) -> None:
    """Send ``imagewarden.*`` log records at ``level`` and above to stderr or ``file``."""
    import typer

    chosen = LEVELS.get(level.lower())
    if chosen is None:
        raise typer.BadParameter(f"choose one of {', '.join(LEVELS)}", param_hint="--log-level")
    handler: logging.Handler
    if file is None:
        handler = logging.StreamHandler()
    else:
        if not file.parent.is_dir():
            raise typer.BadParameter(
                f"folder {file.parent} does not exist", param_hint="--log-file"
            )
        descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        handler = logging.StreamHandler(os.fdopen(descriptor, "a", encoding="utf-8"))
    handler.setFormatter(logging.Formatter(FORMAT))
    logger = logging.getLogger("imagewarden")
    for old in list(logger.handlers):
        logger.removeHandler(old)
    logger.addHandler(handler)
    logger.setLevel(chosen)
    logger.propagate = False
