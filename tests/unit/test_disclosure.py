"""Honest AI disclosure: who-am-I-talking-to questions, the disclosure text, the 3-hour reminder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from os1.care import DISCLOSURE, REMINDER, asks_if_human, continuous_since, reminder_due


@pytest.mark.parametrize(
    "text",
    [
        "are you real?",
        "Are you a person?",
        "are you human",
        "r u a bot",
        "are you an AI?",
        "are you a robot",
        "Are you alive?",
        "are you even real lol",
        "are you actually human?",
        "are you a real person or a bot",
        "are you a human or a bot?",
        "am I talking to a human?",
        "Am I talking to a bot right now",
        "am i chatting with a real person",
        "is this a real person?",
        "is this an AI",
        "is there a real person behind this?",
        "you're a bot, right?",
        "you're not real, are you?",
        "who am i talking to?",
        "what are you exactly?",
    ],
)
def test_trigger_phrases_fire(text: str) -> None:
    assert asks_if_human(text)


@pytest.mark.parametrize(
    "text",
    [
        "are you really going to make me do this",
        "I work in real estate",
        "are you a real estate agent?",
        "is this real leather",
        "are you a morning person?",
        "are you a dog person or a cat person",
        "are you serious",
        "are you okay?",
        "he is a real person, not a character",
        "you're a real one",
        "you are a real friend",
        "is this for real",
        "I watched a movie about an AI",
        "what are you doing tonight?",
        "are you free tomorrow",
        "I was talking to a human resources person",
        "are you human resources?",
        "are you real good at chess?",
    ],
)
def test_negatives_do_not_fire(text: str) -> None:
    assert not asks_if_human(text)


def test_disclosure_texts_are_honest() -> None:
    for text in (DISCLOSURE, REMINDER):
        assert "AI" in text and "not a person" in text


T0 = datetime(2025, 1, 1, 20, 0, tzinfo=UTC)


def test_reminder_due_after_three_hours_of_continuous_use() -> None:
    assert not reminder_due(T0, None, T0 + timedelta(hours=2, minutes=59))
    assert reminder_due(T0, None, T0 + timedelta(hours=3))


def test_a_reminder_restarts_the_clock() -> None:
    reminded = T0 + timedelta(hours=3)
    assert not reminder_due(T0, reminded, reminded + timedelta(hours=2, minutes=59))
    assert reminder_due(T0, reminded, reminded + timedelta(hours=3))


def test_a_reminder_from_an_earlier_stretch_does_not_count() -> None:
    assert reminder_due(T0, T0 - timedelta(days=1), T0 + timedelta(hours=3))
    assert not reminder_due(T0, T0 - timedelta(days=1), T0 + timedelta(hours=1))


def test_continuous_since_starts_a_new_stretch_after_a_pause() -> None:
    assert continuous_since(None, None, T0) == T0
    later = T0 + timedelta(hours=1)
    assert continuous_since(T0, later - timedelta(minutes=10), later) == T0
    assert continuous_since(T0, later - timedelta(minutes=31), later) == later
