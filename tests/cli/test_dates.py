"""Every date and time option reads its value the same way: a wrong one is a usage error
(exit 2) naming the option, before anything is opened or changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_runner import invoke

COMMANDS = [
    (["findings", "accept", "iwf-1", "--reason", "r", "--until"], "--until"),
    (["checklist", "answer", "exec-01", "--answer", "yes", "--site", "s", "--owner", "o",
      "--due"], "--due"),
    (["checklist", "answer", "exec-01", "--answer", "yes", "--site", "s", "--owner", "o",
      "--answered"], "--answered"),
    (["poam", "edit", "poam-1", "--due"], "--due"),
    (["drill", "schedule", "--site", "s", "--title", "t", "--on"], "--on"),
    (["drill", "done", "1", "--on"], "--on"),
    (["drill", "log", "1", "entry", "--at"], "--at"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "option"), COMMANDS, ids=[" ".join(c[0][:2]) + " " + c[1] for c in COMMANDS]
)
@pytest.mark.parametrize("bad", ["2027-13-01", "next week", "31/12/2027"])
def test_a_wrong_date_is_a_usage_error_naming_the_option(
    tmp_path: Path, argv: list[str], option: str, bad: str
) -> None:
    db = tmp_path / "never-created.db"
    ran = invoke(*argv, bad, db=db)
    assert ran.code == 2
    assert option in ran.stderr and bad in ran.stderr
    assert not db.exists()
