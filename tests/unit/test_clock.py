from datetime import UTC, datetime, timedelta

import pytest

from os1.engine.clock import describe_gap, time_note


@pytest.mark.parametrize(
    ("seconds", "phrase"),
    [(30, "a moment"), (600, "a few minutes"), (40 * 60, "40 minutes"), (3 * 3600, "3 hours"),
     (3 * 86400, "3 days"), (21 * 86400, "3 weeks"), (120 * 86400, "4 months"), (800 * 86400, "2 years")],
)
def test_describe_gap(seconds: float, phrase: str) -> None:
    assert describe_gap(seconds) == phrase


def test_time_note_names_the_day_and_the_gap() -> None:
    now = datetime(2026, 11, 22, 14, 5, tzinfo=UTC)
    note = time_note(now, now - timedelta(hours=3))
    assert "2026" in note and "November" in note and "3 hours ago" in note
    assert "first time" in time_note(now, None)
