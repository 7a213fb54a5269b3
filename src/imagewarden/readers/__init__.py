"""Bounded, safe readers for every file that comes from outside.

Every reader enforces documented limits (nesting depth, decompressed bytes, rows, columns,
cell and line length, YAML alias expansion); a file over a limit is refused with a
``UserInputError`` that names the file, the limit and how to raise it (exit code 2), never a
memory blow-up, a hang or a traceback.
"""
