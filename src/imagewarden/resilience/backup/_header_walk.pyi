"""The C header walk (``_header_walk.c``); ``header.py`` picks it when it is built."""

from imagewarden.resilience.backup.header import HeaderError, HeaderInfo, NeedMore, ReadAt

def bind(info: type[HeaderInfo], error: type[HeaderError], need_more: type[NeedMore], /) -> None:
    """Give the walk the classes of its results and errors (before ``read_header``)."""

def read_header(buf: bytes, /, *, whole: bool) -> HeaderInfo:
    """``header.read_header_python``, in C: the same results, errors and NeedMore sizes."""

def read_file_header(first: bytes, size: int, read_at: ReadAt, /) -> HeaderInfo:
    """``header.read_file_header_python``, in C: the same results, errors, NeedMore sizes
    and reads."""
