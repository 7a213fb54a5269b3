"""Reading a large file in a child process while this one writes what it read.

A feed import is two halves of about the same cost: parsing and checking the file, and
inserting the rows. Threads would not overlap them (the parser holds the GIL, and the
database driver takes it back for every row), so the reader runs in a child process and
sends what it produces, message by message, through a pipe. The pipe holds little: the
child waits while the parent is still writing, so memory stays bounded on both sides.

Whatever the reader raises (a bad record, a limit) is raised here, in the parent, with
the same message, after the messages before it; the caller's transaction then rolls back
as it would in one process. When the parent stops early (its own error, an interrupt),
the child is ended before this returns: nothing is left running.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Generator, Iterable
from multiprocessing.connection import Connection
from multiprocessing.context import ForkContext, SpawnContext
from typing import Any, TypeVar

M = TypeVar("M")
_MESSAGE, _FAILED, _DONE = range(3)


class ReaderEnded(RuntimeError):
    """The child process ended without finishing (killed, or out of memory)."""


_State = tuple[type[BaseException], tuple[Any, ...], Any]
"""An exception as its class, args and attributes: how it crosses the pipe."""


def _exception_state(exc: BaseException) -> _State:
    return type(exc), exc.args, getattr(exc, "__dict__", {})


def _rebuilt(cls: type[BaseException], args: tuple[Any, ...], state: Any) -> BaseException:
    """The exception with its args and attributes, without calling its ``__init__`` (an
    error class whose ``__init__`` takes other arguments than its args still comes back)."""
    exc = cls.__new__(cls)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def _produce(produce: Callable[[], Iterable[Any]], pipe: Connection) -> None:
    """The child: send each message, then done, or the exception that stopped it."""
    try:
        for message in produce():
            pipe.send((_MESSAGE, message))
        pipe.send((_DONE, None))
    except BrokenPipeError:
        pass  # the parent stopped reading: nothing left to tell it
    except BaseException as exc:  # every failure is the parent's to raise
        _send_failure(pipe, exc)
    finally:
        pipe.close()


def _send_failure(pipe: Connection, exc: BaseException) -> None:
    """The exception to the parent; if its attributes do not pickle, its type and text."""
    plain: _State = (RuntimeError, (f"{type(exc).__name__}: {exc}",), {})
    for state in (_exception_state(exc), plain):
        try:
            pipe.send((_FAILED, state))
            return
        except BrokenPipeError:
            return  # the parent stopped reading
        except Exception:  # does not pickle: the plain form is tried next
            continue


def _context() -> ForkContext | SpawnContext:
    """fork when this process runs one thread (nothing to re-import, and no lock another
    thread could hold at the fork); spawn otherwise."""
    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def read_in_child(produce: Callable[[], Iterable[M]]) -> Generator[M, None, None]:
    """The messages ``produce()`` yields, produced in a child process.

    ``produce`` and its messages must pickle (a ``functools.partial`` of a module-level
    function does). Exceptions it raises are raised here.
    """
    context = _context()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=_produce, args=(produce, sending), name="imagewarden-reader", daemon=True
    )
    process.start()
    sending.close()
    finished = False
    try:
        while True:
            try:
                kind, payload = receiving.recv()
            except EOFError:
                process.join()
                finished = True
                raise ReaderEnded(
                    f"the reading process ended unexpectedly (exit code {process.exitcode})"
                ) from None
            if kind == _DONE:
                finished = True
                return
            if kind == _FAILED:
                finished = True
                raise _rebuilt(*payload) from None
            yield payload
    finally:
        receiving.close()
        if not finished:
            process.terminate()
        process.join()
