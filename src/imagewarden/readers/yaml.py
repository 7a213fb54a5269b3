"""YAML from outside (catalogs, scope files), with bounded nesting and alias expansion.

PyYAML's composer and constructor recurse, so a document nested thousands of levels deep ends
in RecursionError, and a few hundred bytes of nested aliases ("billion laughs") can expand to
gigabytes when the data is walked. The event stream (an iterative parser) is checked first for
nesting and alias use; the composed node graph is then measured with aliases expanded, without
expanding it, before anything is constructed.
"""

from __future__ import annotations

from typing import Any

import yaml

from imagewarden.model import Location, UserInputError
from imagewarden.readers.limits import YAML_ALIASES, YAML_DEPTH, YAML_NODES, LimitExceeded

# libyaml's safe loader when PyYAML was built with it (five times faster), else the pure one.
Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_OPEN = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
_CLOSE = (yaml.MappingEndEvent, yaml.SequenceEndEvent)


def _yaml_error(exc: yaml.YAMLError, source: str) -> UserInputError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    return UserInputError(f"invalid YAML: {str(problem)[:200]}", Location(source, line, column))


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


def _check_events(text: str, source: str) -> None:
    max_depth, max_aliases = YAML_DEPTH.value(), YAML_ALIASES.value()
    depth = aliases = 0
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > max_depth:
                raise LimitExceeded(YAML_DEPTH, Location(source, _line(event.start_mark)))
        elif isinstance(event, _CLOSE):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > max_aliases:
                raise LimitExceeded(YAML_ALIASES, Location(source, _line(event.start_mark)))


def _expanded_size(root: yaml.Node, source: str) -> int:
    """Number of nodes with every alias expanded, computed over the shared graph."""
    limit = YAML_NODES.value()
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        size = 1 + sum(sizes.get(id(child), 1) for child in children)
        if size > limit:
            raise LimitExceeded(YAML_NODES, Location(source, _line(node.start_mark)))
        sizes[id(node)] = size
    return sizes.get(id(root), 1)


def line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """Line (from 1) of the node a validation error's location (keys and indexes) points to;
    the deepest node found when the path leaves the document."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == key]
            if not match:
                break
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


def load_yaml(text: str, source: str) -> tuple[Any, yaml.Node | None]:
    """(data, node) of a YAML document: the node keeps line numbers for error messages."""
    try:
        _check_events(text, source)
        node = yaml.compose(text, Loader=Loader)
        if node is not None:
            _expanded_size(node, source)
        data = yaml.load(text, Loader=Loader)  # a safe loader: no Python objects
    except yaml.YAMLError as exc:
        if "nesting depth" in str(getattr(exc, "problem", "")):  # libyaml's own guard
            raise LimitExceeded(YAML_DEPTH, source) from None
        raise _yaml_error(exc, source) from None
    except RecursionError:
        raise LimitExceeded(YAML_DEPTH, source) from None
    return data, node
