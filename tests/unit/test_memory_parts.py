"""The pure parts of memory: time phrases, fact patterns, requests about memory, entity mentions, ranking."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from os1.core.memory import MemoryItem, MemoryKind
from os1.memory.episodes import importance
from os1.memory.facts import extract
from os1.memory.intents import ForgetRequest, KnowRequest, memory_intent
from os1.memory.learn import same_fact
from os1.memory.retrieval import Candidate, analyse, coverage, rank
from os1.memory.text import entity_mentions
from os1.memory.timeref import annotate, resolve

MONDAY = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "days"),
    [
        ("I went to a support group yesterday", date(2023, 5, 7), 1),
        ("we ran a charity race last Sunday", date(2023, 5, 7), 1),
        ("I painted that lake sunrise last year", date(2022, 1, 1), 365),
        ("moving next month", date(2023, 6, 1), 30),
        ("two weeks ago I quit", date(2023, 4, 21), 7),
        ("the day before yesterday", date(2023, 5, 6), 1),
        ("tomorrow is the interview", date(2023, 5, 9), 1),
        ("we met in May 2022", date(2022, 5, 1), 31),
        ("on 7 May 2023 it rained", date(2023, 5, 7), 1),
        ("camping last weekend", date(2023, 5, 6), 2),
        ("I'll see her in 3 days", date(2023, 5, 11), 1),
    ],
)
def test_relative_time_resolves_against_when_it_was_said(text: str, start: date, days: int) -> None:
    (span,) = resolve(text, MONDAY)
    assert (span.start, span.days) == (start, days)


def test_words_that_only_look_like_time_are_not_dates() -> None:
    assert resolve("May I ask you something? I'll march on.", MONDAY) == []
    assert annotate("I went yesterday", MONDAY) == "I went yesterday [yesterday: on 7 May 2023]"


@pytest.mark.parametrize(
    ("text", "attribute", "fact"),
    [
        ("I love hiking in the mountains.", "opinion:hiking", "Ana likes hiking in the mountains"),
        ("Honestly I can't stand coffee anymore", "opinion:coffee", "Ana dislikes coffee anymore"),
        ("My sister Lena is visiting", "relation:sister:lena", "Ana's sister is Lena"),
        ("My boss, Karim, is strict", "relation:boss", "Ana's boss is Karim"),
        ("I moved to Lyon last year", "home", "Ana lives in Lyon last year"),
        ("I work as a nurse", "job", "Ana works as nurse"),
        ("I have an interview tomorrow", "plan:interview", "Ana has interview tomorrow (on 9 May 2023)"),
        ("I'm so lonely these days", "feeling", "Ana felt lonely on 2023-05-08"),
        ("I usually run before work.", "habit:run before work", "Ana's habit: usually run before work"),
    ],
)
def test_first_person_statements_become_keyed_facts(text: str, attribute: str, fact: str) -> None:
    found = {f.attribute: f.text for f in extract(text, "Ana", MONDAY)}
    assert found.get(attribute) == fact


@pytest.mark.parametrize("text", ["I like it", "What do you like?", "my sister is great", "They love pizza."])
def test_no_fact_without_a_first_person_statement_about_something(text: str) -> None:
    assert extract(text, "Ana", MONDAY) == []


def test_near_duplicate_statements_are_the_same_fact_and_new_values_are_not() -> None:
    assert same_fact("Ana's sister is Lena", "Ana's sister is Lena", "ana")
    assert same_fact("Ana dislikes coffee anymore", "Ana dislikes coffee", "ana")
    assert not same_fact("Ana lives in Lyon", "Ana lives in Paris", "ana")
    assert not same_fact("Ana likes coffee", "Ana likes climbing in the alps", "ana")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("forget what I said about my sister", ForgetRequest("my sister")),
        ("Please forget everything about my ex.", ForgetRequest("my ex")),
        ("Forget about my job", ForgetRequest("my job")),
        ("What do you know about me?", KnowRequest()),
        ("what have you learned about me", KnowRequest()),
        ("I forget about things a lot", None),
        ("I always forget my keys", None),
    ],
)
def test_requests_about_memory(text: str, intent: object) -> None:
    assert memory_intent(text) == intent


def test_names_inside_sentences_are_entities_and_sentence_openers_are_not() -> None:
    assert entity_mentions("Yeah, I met Ana and John Smith at the Louvre.") == [
        "ana", "john", "smith", "john smith", "louvre"]
    assert entity_mentions("Went home. Ana called.", known=["ana"]) == ["ana"]
    assert entity_mentions("Went home early.") == []


def test_telling_utterances_matter_more_than_reactions_and_questions() -> None:
    telling = importance("I signed up for a pottery class and I loved it.")
    assert telling > importance("Wow, that sounds so cool, congrats!") > 0
    assert telling > importance("What made you want to try pottery though?")


def _item(text: str, days_ago: int, speaker: str = "Me", kind: MemoryKind = MemoryKind.EPISODE) -> MemoryItem:
    at = MONDAY - timedelta(days=days_ago)
    return MemoryItem(id=f"mem_{days_ago:03d}{text[:3]}", user_id="u", kind=kind, text=text, occurred_at=at,
                      created_at=at, speaker=speaker, entities=(speaker.lower(),))


def test_a_question_about_last_week_prefers_what_happened_last_week() -> None:
    query = analyse("What did I do last week?", MONDAY)
    recent = Candidate(_item("I baked bread with Ana", 4), keyword=1.0, vector=0.85)
    older = Candidate(_item("I baked bread with Ana", 40), keyword=1.0, vector=0.86)
    others = [Candidate(_item(f"something else {i}", 10 + i), keyword=0.2, vector=0.70 + i / 100) for i in range(6)]
    assert rank([older, recent, *others], query, MONDAY)[0][0] is recent


def test_what_the_named_person_said_ranks_above_what_was_said_to_them() -> None:
    query = analyse("What did Ana paint?", MONDAY, known_entities=["ana", "ben"])
    by_ana = Candidate(_item("I painted a sunset by the lake.", 3, "Ana"), keyword=2.0, vector=0.8)
    to_ana = Candidate(_item("Ana, your painting is lovely!", 3, "Ben"), keyword=2.0, vector=0.8)
    assert rank([to_ana, by_ana], query, MONDAY)[0][0] is by_ana


def test_coverage_counts_the_querys_words_present() -> None:
    assert coverage(["night", "shifts"], "I started night shifts at the bakery") == 1.0
    assert coverage(["pancake", "recipe"], "My brother fixes motorbikes") == 0.0
