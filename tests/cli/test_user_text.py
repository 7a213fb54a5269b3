"""User text is never markup, and control characters in it are shown escaped."""

from __future__ import annotations

from pathlib import Path

from imagewarden.cli.text import printable
from tests.cli_runner import expect


def test_control_characters_are_escaped_but_text_is_kept() -> None:
    assert printable("scan\x1b[2J\x07.csv") == "scan\\x1b[2J\\x07.csv"
    assert printable("Radiology [bold] ünits\tok\n") == "Radiology [bold] ünits\tok\n"


def test_a_file_name_with_escape_sequences_is_shown_escaped(tmp_path: Path) -> None:
    name = tmp_path / "evil\x1b]0;owned\x07[link=x].csv"
    name.write_text("not,an,inventory\n", encoding="utf-8")
    expect(0, "init", db=tmp_path / "iw.db")
    ran = expect(2, "import", "inventory", name, db=tmp_path / "iw.db")
    assert "\x1b" not in ran.stderr and "\x07" not in ran.stderr
    assert "\\x1b]0;owned\\x07[link=x].csv" in ran.stderr


def test_square_brackets_in_a_cell_are_shown_literally(tmp_path: Path) -> None:
    sheet = tmp_path / "assets.csv"
    sheet.write_text(
        "id,site,name,type\nCT-1,North,[bold]CT[/] [link=http://x]1[/link],NOT-A-TYPE\n",
        encoding="utf-8",
    )
    expect(0, "init", db=tmp_path / "iw.db")
    ran = expect(2, "import", "inventory", sheet, db=tmp_path / "iw.db")
    assert "NOT-A-TYPE" in ran.stderr
    assert "MarkupError" not in ran.stderr


def test_global_options_are_accepted_after_the_subcommand(tmp_path: Path) -> None:
    db = tmp_path / "late.db"
    expect(0, "init", "--db", str(db))
    assert db.exists()
    listed = expect(0, "findings", "list", f"--db={db}", "--format", "json")
    assert listed.stdout.strip() == "[]"
    expect(0, "assets", "list", "--db", str(db), "--debug")
