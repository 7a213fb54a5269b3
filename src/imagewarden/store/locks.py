"""Exclusive locks between processes sharing one database (e.g. two assessments).

PostgreSQL: a session-level advisory lock, keyed by the schema and the lock's name; the server
drops it when the holder's connection ends, so a killed process never leaves it behind.
SQLite: ``flock`` on a lock file beside the database, which the kernel releases when the
holder dies. The file is removed on release; a waiter that locked a file that was meanwhile
removed (or replaced) starts again, so two holders can never lock two different files.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import Engine, text

from imagewarden.store.errors import LockTimeout

POLL_SECONDS = 0.2


def _pg_key(name: str, schema: str) -> int:
    digest = hashlib.sha256(f"imagewarden\x1f{schema}\x1f{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextlib.contextmanager
def _postgres_lock(
    engine: Engine, name: str, wait: float, on_wait: Callable[[], None]
) -> Iterator[None]:
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        key = _pg_key(name, str(schema))
        connection.commit()
        deadline = time.monotonic() + wait
        told = False
        while not connection.execute(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
        ).scalar_one():
            connection.commit()
            if time.monotonic() >= deadline:
                raise LockTimeout(name, wait)
            if not told:
                on_wait()
                told = True
            time.sleep(POLL_SECONDS)
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        on_disk = path.stat()
    except FileNotFoundError:
        return False
    held = os.fstat(descriptor)
    return (held.st_dev, held.st_ino) == (on_disk.st_dev, on_disk.st_ino)


@contextlib.contextmanager
def _file_lock(path: Path, name: str, wait: float, on_wait: Callable[[], None]) -> Iterator[None]:
    deadline = time.monotonic() + wait
    told = False
    while True:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(descriptor)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if time.monotonic() >= deadline:
                raise LockTimeout(name, wait) from None
            if not told:
                on_wait()
                told = True
            time.sleep(POLL_SECONDS)
            continue
        if _same_file(descriptor, path):
            break
        os.close(descriptor)  # the holder before us removed it: lock the new one
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(descriptor)


def exclusive(
    engine: Engine,
    name: str,
    *,
    wait: float,
    on_wait: Callable[[], None] = lambda: None,
) -> contextlib.AbstractContextManager[None]:
    """Hold the lock ``name`` for this database, waiting up to ``wait`` seconds for it.

    ``on_wait`` is called once if another holder makes this one wait. Raises LockTimeout.
    """
    if engine.dialect.name == "postgresql":
        return _postgres_lock(engine, name, wait, on_wait)
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        return _file_lock(Path(f"{database}.{name}.lock"), name, wait, on_wait)
    return contextlib.nullcontext()
