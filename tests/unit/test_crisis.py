"""Crisis detection rules and the crisis reply: pure logic, no model (a tiny fake embedder where needed)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from os1.care import (
    HARM_OTHERS,
    SELF_HARM,
    SUICIDE,
    CrisisDetector,
    crisis_reply,
    resources_for,
)
from os1.care.prototypes import load_prototypes
from os1.care.resources import DEFAULT, RESOURCES
from os1.care.text import normalise
from os1.embeddings import Embedder, normalise_rows


@pytest.fixture(scope="module")
def detector() -> CrisisDetector:
    return CrisisDetector()  # lexicon and rules only


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("i want to kill myself", SUICIDE),
        ("I don't want to live anymore", SUICIDE),
        ("honestly everyone would be better off without me", SUICIDE),
        ("I've been saving up my pills, I know how many I need", SUICIDE),
        ("im gonna end it all tonight", SUICIDE),
        ("kms", SUICIDE),
        ("I cut myself again last night", SELF_HARM),
        ("the urge to cut is really strong tonight", SELF_HARM),
        ("I've been burning my arms with a lighter", SELF_HARM),
        ("I'm going to kill my stepdad when he gets home", HARM_OTHERS),
        ("i'm bringing my dad's gun to school tomorrow", HARM_OTHERS),
        ("I swear I'm going to stab my roommate", HARM_OTHERS),
    ],
)
def test_each_category_fires_on_clear_examples(detector: CrisisDetector, text: str, category: str) -> None:
    verdict = detector.assess(text)
    assert verdict.is_crisis, verdict
    assert verdict.category == category
    assert 0.75 <= verdict.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "this traffic is killing me",
        "I could murder a pizza right now",
        "i'm dying to see the new season",
        "she's going to kill it on stage tonight",
        "my mom is going to kill me when she sees my grades",
        "I'd kill for a coffee",
        "if he spoils the ending I'll kill him lol",
        "i'm killing myself trying to finish this report",
        "I'm dead 😂",
        "in the game you have to kill the dragon",
        "the movie where the hero kills himself at the end made me cry",
        "the article was about suicide prevention",
        "I cut myself shaving this morning",
        "I burned myself on the oven tray",
        "I want to end things with my boyfriend",
        "I don't see the point of cardio",
        "I beat my brother at chess",
        "my phone is dying",
        "I used to self-harm as a teenager but I've been clean for ten years",
        "my uncle took his own life when I was a kid, I still miss him",
    ],
)
def test_hard_negatives_do_not_fire(detector: CrisisDetector, text: str) -> None:
    assert not detector.assess(text).is_crisis


@pytest.mark.parametrize(
    "text",
    [
        "I would never kill myself",
        "I'm not suicidal, just burnt out",
        "I don't want to die, I'm scared of surgery",
        "no, I'm not going to hurt myself, I'm just venting",
        "I never want to hurt anyone",
    ],
)
def test_negation_cancels(detector: CrisisDetector, text: str) -> None:
    verdict = detector.assess(text)
    assert not verdict.is_crisis
    assert any(r.endswith(":negated") for r in verdict.reasons)


def test_negation_is_scoped_to_its_clause(detector: CrisisDetector) -> None:
    assert detector.assess("I'm not suicidal, but I don't see the point in living anymore").is_crisis
    assert detector.assess("I can't stop thinking about killing myself").is_crisis  # "can't" does not negate it


def test_someone_else_at_risk_is_a_crisis_and_says_so(detector: CrisisDetector) -> None:
    verdict = detector.assess("my best friend says she wants to kill herself, what do I do")
    assert verdict.is_crisis and verdict.about_someone_else
    assert not detector.assess("i want to kill myself").about_someone_else


def test_hyperbole_yields_to_serious_markers(detector: CrisisDetector) -> None:
    assert not detector.assess("if my ex texts me again i'll kill her lol").is_crisis
    assert detector.assess("if my ex shows up again i'll kill her, i mean it").is_crisis


def test_normalise_expands_contractions_slang_and_punctuation() -> None:
    assert normalise("I’m gonna kms!! can't") == "i am going to kill myself . cannot"
    assert normalise("I'm dead 😂") == "i am dead lol"


def test_lexicon_only_mode_reports_no_embedding_and_no_user_words(detector: CrisisDetector) -> None:
    verdict = detector.assess("my password is hunter2 and I want to kill myself")
    assert verdict.is_crisis
    assert not any("embedding" in r for r in verdict.reasons)
    assert not any("hunter2" in r or "password" in r for r in verdict.reasons)
    calm = detector.assess("what should I cook tonight?")
    assert not calm.is_crisis and calm.category is None and 0.0 <= calm.score < 0.5


class BagOfWordsEmbedder:
    """A deterministic stand-in for a real embedder: hashed word counts, L2-normalised."""

    name = "test/bag-of-words"
    dim = 256

    def __init__(self) -> None:
        self.calls = 0

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z]+", text.lower()):
                out[i, sum(map(ord, word)) % self.dim] += 1.0
        return normalise_rows(out)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts)


def test_embedding_signal_is_combined_and_cached(tmp_path: Path) -> None:
    embedder = BagOfWordsEmbedder()
    assert isinstance(embedder, Embedder)
    detector = CrisisDetector(embedder, cache_dir=tmp_path)
    verdict = detector.assess("I am thinking about my plans for the weekend")
    assert any(r.startswith("embedding:margin=") for r in verdict.reasons)
    assert detector.assess("i want to kill myself").is_crisis  # the lexicon still decides clear cases
    cached = list(tmp_path.glob("crisis-prototypes-*.npy"))
    assert len(cached) == 1
    n = sum(len(v) for v in load_prototypes().values())
    assert np.load(cached[0]).shape == (n, embedder.dim)
    # A second embedder object of the same kind reads the matrix back instead of embedding every prototype.
    other = BagOfWordsEmbedder()
    CrisisDetector(other, cache_dir=tmp_path)
    assert other.calls == 0


def test_prototypes_cover_every_category_and_are_not_in_the_eval_sets() -> None:
    protos = load_prototypes()
    assert set(protos) == {SUICIDE, SELF_HARM, HARM_OTHERS, "none"}
    data = Path(__file__).parents[1] / "data"
    evaluated = {line for f in data.glob("crisis_*.jsonl") for line in f.read_text("utf-8").splitlines()}
    texts = {normalise(s) for sents in protos.values() for s in sents}
    assert not texts & {normalise(json.loads(line)["text"]) for line in evaluated if line.strip()}


EXPECTED_NUMBERS = {
    "en_US": ["988", "741741", "911"],
    "en_GB": ["116 123", "999"],
    "en_CA": ["988", "911"],
    "en_AU": ["13 11 14", "000"],
    "de_DE": ["0800 111 0 111", "112"],
    "fr_FR": ["3114", "112"],
}


@pytest.mark.parametrize("locale", sorted(RESOURCES))
@pytest.mark.parametrize("about_someone_else", [False, True])
def test_reply_always_carries_the_locale_resources(locale: str, about_someone_else: bool) -> None:
    reply = crisis_reply(locale, "Sam", about_someone_else=about_someone_else)
    for number in EXPECTED_NUMBERS[locale]:
        assert number in reply
    for line in resources_for(locale).helplines:
        assert line.name in reply
    assert reply.startswith("Sam, ")


@pytest.mark.parametrize("locale", ["", "xx_YY", "en", "pt_BR", "garbage!!"])
def test_unknown_locales_get_the_default_advice(locale: str) -> None:
    assert resources_for(locale) is DEFAULT
    reply = crisis_reply(locale)
    assert "findahelpline.com" in reply and "emergency" in reply


@pytest.mark.parametrize(("raw", "key"), [("en-us", "en_US"), ("en_GB.UTF-8", "en_GB"), ("DE_de", "de_DE")])
def test_locale_spellings(raw: str, key: str) -> None:
    assert resources_for(raw).locale == key


def test_reply_is_warm_points_to_people_and_makes_no_clinical_claims() -> None:
    reply = crisis_reply("en_US").lower()
    assert "glad you told me" in reply and "someone you trust" in reply and "i'm an ai" in reply
    for word in ("diagnos", "disorder", "depression", "treatment", "cure", "you should have", "calm down"):
        assert word not in reply
