"""LLM fact extraction: model output mapped onto the pattern extractor's keys, dated by timeref, distrusted."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from os1.core.errors import BackendError
from os1.core.memory import MemoryKind
from os1.core.messages import ChatMessage, Role
from os1.llm.base import GenerationOptions, LLMCapabilities
from os1.memory.episodes import Utterance
from os1.memory.facts import Fact
from os1.memory.llm_facts import SCHEMA, LLMExtractor
from os1.memory.service import Memory
from os1.storage.sqlite import SQLiteStore
from os1.testing import ScriptedLLM

MONDAY = datetime(2023, 5, 8, 13, 56, tzinfo=UTC)


def item(kind: str, attribute: str, statement: str, *, about: str = "self", when: str = "",
         confidence: Any = 0.9) -> dict[str, Any]:
    return {"kind": kind, "about": about, "attribute": attribute, "statement": statement, "when": when,
            "confidence": confidence}


async def extract(text: str, *items: dict[str, Any], reply: Any = None) -> tuple[list[Fact], LLMExtractor]:
    llm = ScriptedLLM(json_replies=[reply if reply is not None else {"facts": list(items)}])
    extractor = LLMExtractor(llm)
    return await extractor.extract(text, "Ana", MONDAY), extractor


def keyed(facts: list[Fact]) -> dict[str, Fact]:
    return {f.attribute: f for f in facts}


async def test_model_facts_get_the_same_keys_as_the_pattern_extractor() -> None:
    facts, extractor = await extract(
        "I can't stand coffee anymore. My sister Lena lives in Porto, and I moved to Lyon. I work as a nurse.",
        item("preference", "coffee", "Ana dislikes coffee"),
        item("relationship", "sister", "Ana's sister is Lena", about="Lena"),
        item("identity", "home", "Ana lives in Lyon"),
        item("identity", "job", "Ana works as a nurse"),
    )
    by_key = keyed(facts)
    assert set(by_key) == {"opinion:coffee", "relation:sister:lena", "home", "job"}
    assert by_key["opinion:coffee"] == Fact("ana", "opinion:coffee", "Ana dislikes coffee", 0.9, "preference",
                                            (), 0.5)
    assert by_key["relation:sister:lena"].subject == "ana"
    assert by_key["relation:sister:lena"].entities == ("lena",)
    assert extractor.failures == 0


async def test_a_fact_about_another_person_is_theirs_and_a_single_relation_has_one_key() -> None:
    facts, _ = await extract(
        "My boss Karim loves golf.",
        item("relationship", "boss", "Ana's boss is Karim", about="Karim"),
        item("preference", "golf", "Karim loves golf", about="Karim"),
    )
    by_key = keyed(facts)
    assert by_key["relation:boss"].subject == "ana"  # a new boss replaces the old one, as with the patterns
    assert (by_key["opinion:golf"].subject, by_key["opinion:golf"].text) == ("karim", "Karim loves golf")


async def test_the_time_phrase_is_resolved_against_when_it_was_said() -> None:
    facts, _ = await extract(
        "I have a job interview tomorrow and we moved here last month.",
        item("plan", "job interview", "Ana has a job interview", when="tomorrow"),
        item("event", "move", "Ana moved house", when="last month"),
    )
    by_key = keyed(facts)
    assert by_key["plan:job interview"].text == "Ana has a job interview (on 9 May 2023)"
    assert by_key["event:move"].text == "Ana moved house (in April 2023)"


async def test_a_time_phrase_the_speaker_never_said_is_not_used() -> None:
    facts, _ = await extract(
        "I'm seeing the dentist on 12 May 2023.",
        item("plan", "dentist", "Ana is seeing the dentist", when="next year"),  # made up by the model
        item("preference", "dentist", "Ana likes the dentist", when="yesterday"),
    )
    by_key = keyed(facts)
    assert by_key["plan:dentist"].text == "Ana is seeing the dentist (on 12 May 2023)"  # the message's own date
    assert by_key["opinion:dentist"].text == "Ana likes the dentist"


async def test_a_plan_dated_in_the_past_is_an_event_and_first_person_statements_name_the_speaker() -> None:
    facts, _ = await extract("I ran a half marathon yesterday!",
                             item("plan", "half marathon", "I ran a half marathon", when="yesterday"))
    assert [(f.kind, f.attribute, f.text) for f in facts] == [
        ("event", "event:half marathon", "Ana ran a half marathon (on 7 May 2023)")]


async def test_confidence_is_clamped_to_zero_to_one() -> None:
    facts, _ = await extract(
        "I love tea, I hate olives and I like jazz.",
        item("preference", "tea", "Ana loves tea", confidence=1.7),
        item("preference", "olives", "Ana hates olives", confidence=-0.3),
        item("preference", "jazz", "Ana likes jazz", confidence="very"),
    )
    assert {f.attribute: f.confidence for f in facts} == {"opinion:tea": 1.0, "opinion:olives": 0.0,
                                                          "opinion:jazz": 0.5}


async def test_malformed_output_falls_back_to_the_pattern_extractor() -> None:
    for reply in ({"facts": "none"}, {"name": "Sam"}, {"facts": [{"kind": "hobby"}, "tea", {"statement": ""}]}):
        facts, extractor = await extract("I love hiking.", reply=reply)
        assert [(f.attribute, f.text) for f in facts] == [("opinion:hiking", "Ana likes hiking")], reply
        assert extractor.failures == 1


async def test_a_failing_model_falls_back_to_the_patterns_and_never_raises() -> None:
    class Broken(ScriptedLLM):
        async def complete_json(self, messages: Sequence[ChatMessage], schema: dict[str, Any],
                                options: GenerationOptions) -> dict[str, Any]:
            raise BackendError("local model gave no valid JSON", "try again")

    extractor = LLMExtractor(Broken())
    facts = await extractor.extract("My sister Lena is visiting.", "Ana", MONDAY)
    assert [f.attribute for f in facts] == ["relation:sister:lena"]
    assert extractor.failures == 1


async def test_facts_copied_from_the_examples_or_made_up_are_dropped() -> None:
    facts, _ = await extract(
        "How was your day?",
        item("preference", "olives", "Ana dislikes olives"),  # the prompt's example
        item("identity", "musician", "Ana is a musician"),
    )
    assert facts == []


async def test_one_statement_under_several_kinds_counts_once() -> None:
    facts, _ = await extract(
        "I really love jazz.",
        item("identity", "love", "Ana loves jazz"),
        item("habit", "jazz", "Ana loves jazz"),
        item("feeling", "jazz", "Ana loves jazz."),
    )
    assert [(f.kind, f.attribute) for f in facts] == [("preference", "opinion:jazz")]


async def test_the_request_is_schema_constrained_with_examples_and_names_the_speaker() -> None:
    llm = ScriptedLLM(json_replies=[{"facts": []}])
    assert await LLMExtractor(llm).extract("Good morning!", "Ana", MONDAY) == []
    (request,) = llm.requests
    assert request[0].role is Role.SYSTEM
    assert [m.role for m in request[1:]] == [Role.USER, Role.ASSISTANT] * 2 + [Role.USER]
    assert request[-1].content == "Speaker: Ana\nMessage: Good morning!"
    enum = SCHEMA["properties"]["facts"]["items"]["properties"]["kind"]["enum"]
    assert enum == ["preference", "relationship", "identity", "plan", "event", "feeling", "habit"]


async def test_an_llm_fact_supersedes_a_pattern_fact_with_the_same_key(store: SQLiteStore) -> None:
    user = await store.users.create("ana")
    await Memory(store).remember(user.id, [Utterance("I really love coffee in the morning.", "Ana", MONDAY, "a")])
    llm = ScriptedLLM(json_replies=[{"facts": [
        item("preference", "coffee", "Ana gave up coffee and finds it too bitter now"),
    ]}])
    memory = Memory(store, extractor=LLMExtractor(llm))
    later = MONDAY + timedelta(days=9)
    await memory.remember(user.id, [Utterance("I gave up coffee, it's just too bitter for me now.", "Ana", later,
                                              "b")])
    current = [f for f in await memory.facts(user.id, subject="ana") if "coffee" in f.text]
    assert [(f.attribute, f.text, f.source_ids) for f in current] == [
        ("opinion:coffee", "Ana gave up coffee and finds it too bitter now", ("b",))]
    history = await store.memory.list_items(user.id, [MemoryKind.FACT], current_only=False)
    old = next(f for f in history if f.text == "Ana likes coffee in the morning")
    assert old.superseded_by == current[0].id


class _NoJSON:
    """An LLM without schema support still gets asked; whatever comes back is validated the same way."""

    name = "plain"
    capabilities = LLMCapabilities(json_schema=False)

    async def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> AsyncGenerator[str, None]:
        yield ""

    async def complete_json(self, messages: Sequence[ChatMessage], schema: dict[str, Any],
                            options: GenerationOptions) -> dict[str, Any]:
        return {"facts": [{"kind": "habit", "attribute": "swim", "statement": "Ana swims", "about": "self"}]}

    async def count_tokens(self, text: str) -> int:
        return 1

    async def warm(self, messages: Sequence[ChatMessage]) -> None:
        return None

    async def aclose(self) -> None:
        return None


async def test_missing_fields_default_rather_than_fail() -> None:
    facts = await LLMExtractor(_NoJSON()).extract("I usually swim before work.", "Ana", MONDAY)
    assert [(f.attribute, f.confidence) for f in facts] == [("habit:swim", 0.5)]
