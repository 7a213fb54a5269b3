"""Numbers as people read them: durations never print as "0.0 h"."""

from __future__ import annotations

import pytest

from imagewarden.render.labels import format_hours


@pytest.mark.parametrize(
    ("hours", "said"),
    [
        (0.0, "under a minute"),
        (0.004, "under a minute"),
        (0.2, "12 min"),
        (1.0, "1.0 h"),
        (57.96, "58.0 h"),
    ],
)
def test_durations_never_print_as_zero_hours(hours: float, said: str) -> None:
    assert format_hours(hours) == said
