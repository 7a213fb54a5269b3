"""Bounded readers: hostile files are refused with the limit named, in bounded memory."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest

from imagewarden.model import UserInputError
from imagewarden.readers.compressed import open_maybe_gzip
from imagewarden.readers.json import load_json_bytes, load_json_file
from imagewarden.readers.limits import ALL, JSON_DEPTH, LimitExceeded
from imagewarden.readers.text import bounded_lines
from imagewarden.readers.yaml import load_yaml
from tests.capped import run_capped

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


def test_deep_json_is_refused_naming_the_limit_and_its_variable() -> None:
    deep = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(LimitExceeded) as raised:
        load_json_bytes(deep, "feed.json")
    message = str(raised.value)
    assert "feed.json" in message and "JSON nesting" in message
    assert JSON_DEPTH.variable in message


def test_the_json_depth_limit_can_be_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    nested = b"[" * 100 + b"]" * 100
    with pytest.raises(LimitExceeded):
        load_json_bytes(nested, "x.json")
    monkeypatch.setenv(JSON_DEPTH.variable, "200")
    assert load_json_bytes(nested, "x.json") is not None


def test_malformed_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "a": 1,\n  "b": \n}', encoding="utf-8")
    with pytest.raises(UserInputError, match=r"bad\.json"):
        load_json_file(path)


@pytest.mark.parametrize("data", [b"not json", b'{"a": tru}', b"[1, 2"])
def test_malformed_json_is_one_line(data: bytes) -> None:
    with pytest.raises(UserInputError) as refused:
        load_json_bytes(data, "input.json")
    assert "\n" not in str(refused.value)


def test_gzip_bomb_stops_at_the_decompressed_limit(tmp_path: Path) -> None:
    path = tmp_path / "epss.csv.gz"
    with gzip.open(path, "wb") as handle:
        for _ in range(64):
            handle.write(b"\0" * (1024 * 1024))
    with (
        pytest.raises(LimitExceeded, match="decompressed content"),
        open_maybe_gzip(path, limit=8 * 1024 * 1024) as stream,
    ):
        while stream.read(1 << 20):
            pass


def test_truncated_gzip_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv.gz"
    data = gzip.compress(b"cve,epss\n" * 100_000)
    path.write_bytes(data[: len(data) // 2])
    with (
        pytest.raises(UserInputError, match="truncated or corrupt"),
        open_maybe_gzip(path) as stream,
    ):
        stream.read()


def test_over_long_line_is_refused_with_its_number() -> None:
    stream = io.BytesIO(b"ok\n" + b"x" * 5000 + b"\nnext\n")
    lines = bounded_lines(stream, "list.csv", max_bytes=1000)
    assert next(lines) == (1, "ok")
    with pytest.raises(LimitExceeded, match=r"list\.csv:2"):
        next(lines)


def test_yaml_alias_bomb_is_refused_before_it_expands() -> None:
    with pytest.raises(LimitExceeded, match="YAML"):
        load_yaml(BILLION_LAUGHS, "checks.yaml")


def test_deep_yaml_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(LimitExceeded, match="YAML nesting"):
        load_yaml("a: " + "[" * 5000 + "]" * 5000 + "\n", "scope.yaml")


def test_yaml_keeps_line_numbers_for_messages() -> None:
    data, node = load_yaml("- id: one\n- id: two\n", "x.yaml")
    assert data == [{"id": "one"}, {"id": "two"}]
    assert node is not None and node.value[1].start_mark.line == 1


def test_every_limit_is_documented() -> None:
    text = (Path(__file__).parents[2] / "docs" / "limits.md").read_text(encoding="utf-8")
    for limit in ALL:
        assert limit.variable in text, limit.variable


@pytest.mark.slow
def test_alias_bomb_in_a_catalog_ends_in_exit_2_within_1_gib(tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    (root / "checks").mkdir(parents=True)
    (root / "checks" / "bomb.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    ran = run_capped("--catalog", root, "catalog", "validate", seconds=60)
    assert ran.returncode == 2, ran.stderr
    assert "bomb.yaml" in ran.stderr and "IMAGEWARDEN_MAX_YAML" in ran.stderr
    assert "Traceback" not in ran.stderr


@pytest.mark.parametrize(
    ("name", "text", "variable"),
    [
        ("deep.yaml", "site: north\nnetworks: " + "[" * 5000 + "]" * 5000 + "\n",
         "IMAGEWARDEN_MAX_YAML_DEPTH"),
        ("bomb.yaml", BILLION_LAUGHS, "IMAGEWARDEN_MAX_YAML"),
    ],
    ids=["nested-5000-deep", "alias-bomb"],
)  # fmt: skip
def test_a_hostile_scope_file_ends_in_exit_2_within_1_gib(
    tmp_path: Path, name: str, text: str, variable: str
) -> None:
    scope = tmp_path / name
    scope.write_text(text, encoding="utf-8")
    ran = run_capped("discover", "--scope", scope, "--dry-run", seconds=60, cwd=tmp_path)
    assert ran.returncode == 2, ran.stderr
    assert name in ran.stderr and variable in ran.stderr
    assert "Traceback" not in ran.stderr
