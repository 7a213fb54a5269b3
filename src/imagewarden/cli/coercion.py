"""Command-line values converted without importing pydantic.

Typer (0.29 on) converts every option value that is not a flag through a pydantic
``TypeAdapter``, and importing pydantic for that takes about 0.1 s: more than the rest of the
start-up of ``backup verify``, whose whole run the backup benchmark compares with ``openssl
dgst``, and as much as ``--help`` takes in all. The usual kinds of value (text, paths, whole
and decimal numbers, choices, values read by a ``parser``, lists of these) are converted here
instead, with typer's own helpers where it has them. Any value this module is not sure of (a
number out of range, an unknown choice, a spelling pydantic may read differently) goes to
typer's own conversion, so what is accepted and every error message stay typer's. Typer's
conversion is replaced only in ``_runtime_param``, which it fills lazily on first use.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer._click.exceptions import BadParameter
from typer._coercion import RuntimeParam, build_runtime_param
from typer._param_types import coerce_cli_choice, coerce_cli_path
from typer.models import ParameterInfo

_Convert = Callable[[Any, Any, Any], Any]
"""(value, param, ctx) -> the converted value; a ``ValueError`` (such as ``_Unsure``) or an
``AssertionError`` leaves the value to typer, as pydantic would make those its errors."""

# The spellings pydantic reads as these numbers too (it also reads '1_000', ' 4 ', '3.0'
# and more: those go to typer).
_WHOLE = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]*)?")


class _Unsure(ValueError):
    """A value to leave to typer's own conversion and its error messages."""


@dataclass(frozen=True)
class _Light(RuntimeParam):
    """One parameter's conversion: ``convert``, or typer's for a value it is unsure of."""

    convert: _Convert

    def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
        try:
            return self.convert(value, param, ctx)
        except (ValueError, AssertionError):  # what pydantic makes a validation error
            typer_own = build_runtime_param(param.type_descriptor)
            return typer_own._coerce_value(value, param=param, ctx=ctx)


def lighten(command: Any) -> None:
    """Convert the values of ``command`` (a click command or group, and its subcommands)
    without pydantic where this module knows how."""
    lighten_params(getattr(command, "params", ()))
    _lighten_help_option(command)
    for subcommand in getattr(command, "commands", {}).values():
        lighten(subcommand)


def _lighten_help_option(command: Any) -> None:
    """Typer makes a command's ``--help`` option when the command first parses (its names
    come from the context): lighten it then. Its value is read like any other."""
    make = getattr(command, "get_help_option", None)
    if make is None:
        return

    def get_help_option(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            lighten_params((option,))
        return option

    command.get_help_option = get_help_option


def lighten_params(params: Iterable[Any]) -> None:
    """Convert these parameters' values without pydantic where this module knows how."""
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or getattr(param, "_runtime_param", False) is not None:
            continue
        if descriptor.file_annotation is not None:
            continue
        convert = _converter(descriptor.annotation, descriptor.parameter_info)
        if convert is not None:
            param._runtime_param = _Light(
                parameter_info=descriptor.parameter_info,
                annotation=descriptor.annotation,
                convert=convert,
            )


def _converter(annotation: Any, info: ParameterInfo) -> _Convert | None:
    """How to convert values of ``annotation``; None: leave it all to typer."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        each = _converter(item, info)
        return None if each is None else _list_of(each)
    if get_origin(annotation) is not None:
        return None
    if info.parser is not None:
        return _parsed(info.parser)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return _choice(tuple(annotation), info.case_sensitive)
    if annotation is int and not info.clamp:
        return _number(int, _WHOLE, info.min, info.max)
    if annotation is float and not info.clamp:
        return _number(float, _DECIMAL, info.min, info.max)
    if annotation is str and not _path_options(info):
        return _text
    if annotation is bool:
        return _flag
    if isinstance(annotation, type) and issubclass(annotation, Path):
        return _path(info, info.path_type or annotation)
    return None


def _path_options(info: ParameterInfo) -> bool:
    """Whether typer treats a ``str`` parameter as a path (it then checks the path)."""
    return bool(info.allow_dash or info.path_type is not None or info.resolve_path)


def _list_of(each: _Convert) -> _Convert:
    def convert(value: Any, param: Any, ctx: Any) -> list[Any]:
        items = value if isinstance(value, list | tuple) else [value]
        return [each(item, param, ctx) for item in items]

    return convert


def _parsed(parser: Callable[[str], Any]) -> _Convert:
    return lambda value, param, ctx: parser(value)


def _choice(choices: tuple[Enum, ...], case_sensitive: bool) -> _Convert:
    def convert(value: Any, param: Any, ctx: Any) -> Any:
        return coerce_cli_choice(value, choices=choices, case_sensitive=case_sensitive, ctx=ctx)

    return convert


def _number(
    kind: type[int] | type[float], spelling: re.Pattern[str], low: float | None, high: float | None
) -> _Convert:
    def convert(value: Any, param: Any, ctx: Any) -> Any:
        if type(value) is kind or (kind is float and type(value) is int):
            number = kind(value)
        elif isinstance(value, str) and spelling.fullmatch(value):
            number = kind(value)  # ValueError past Python's digit limit: typer's then
        else:
            raise _Unsure
        if not math.isfinite(number):
            raise _Unsure
        if (low is not None and number < low) or (high is not None and number > high):
            raise _Unsure
        return number

    return convert


def _flag(value: Any, param: Any, ctx: Any) -> bool:
    if type(value) is not bool:  # typer reads words such as 'yes' and 'off'
        raise _Unsure
    return value


def _text(value: Any, param: Any, ctx: Any) -> str:
    if not isinstance(value, str):
        raise _Unsure
    return value


def _path(info: ParameterInfo, path_type: Any) -> _Convert | None:
    if not (isinstance(path_type, type) and issubclass(path_type, Path)):
        return None

    def convert(value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str):
            value = path_type(value)  # what pydantic makes of it, without pydantic
        elif not isinstance(value, path_type):
            raise _Unsure
        try:  # typer's own checks (exists, dir_okay, readable, ...), given a Path
            return coerce_cli_path(value, info, path_type=path_type, param=param, ctx=ctx)
        except BadParameter:  # typer's message names the path as it was typed
            raise _Unsure from None

    return convert
