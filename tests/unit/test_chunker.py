"""The streaming sentence chunker: boundaries, the things that look like boundaries, streaming, the end."""

from __future__ import annotations

import pytest

from os1.voice.chunker import SentenceChunker


def chunk(text: str, step: int = 1, first_clause_words: int = 0, first_chunk_max_words: int = 0) -> list[str]:
    """Stream ``text`` in pieces of ``step`` characters, as an LLM would; then flush."""
    chunker = SentenceChunker(first_clause_words, first_chunk_max_words)
    out = []
    for i in range(0, len(text), step):
        out += chunker.push(text[i: i + step])
    return out + chunker.flush()


def test_splits_sentences_and_flushes_the_rest() -> None:
    assert chunk("Hello there. How are you? I'm fine! And you") == [
        "Hello there.", "How are you?", "I'm fine!", "And you"]


@pytest.mark.parametrize("step", [1, 3, 7, 100])
def test_the_same_sentences_whatever_the_delta_sizes(step: int) -> None:
    text = "Dr. Smith paid 3.5 dollars, i.e. a lot. Then he left... Really? Yes."
    assert chunk(text, step) == ["Dr. Smith paid 3.5 dollars, i.e. a lot.", "Then he left...", "Really?", "Yes."]


def test_abbreviations_and_initials_do_not_end_sentences() -> None:
    assert chunk("Mr. and Mrs. Brown met J. K. Rowling at St. Mary's. It was fun.") == [
        "Mr. and Mrs. Brown met J. K. Rowling at St. Mary's.", "It was fun."]


def test_numbers_do_not_end_sentences() -> None:
    assert chunk("Pi is about 3.14 and e is 2.72. Nice.") == ["Pi is about 3.14 and e is 2.72.", "Nice."]
    assert chunk("It costs 5. No. 3 is cheaper.") == ["It costs 5.", "No. 3 is cheaper."]


def test_ellipsis_before_a_lowercase_word_goes_on() -> None:
    assert chunk("Well... maybe. Fine.") == ["Well... maybe.", "Fine."]


def test_closing_quotes_stay_with_their_sentence() -> None:
    assert chunk('She said "go." Then she went.') == ['She said "go."', "Then she went."]


def test_a_sentence_waits_for_the_next_word_before_it_is_emitted() -> None:
    chunker = SentenceChunker(0)
    assert chunker.push("I met Dr. ") == []  # "Dr." could end a sentence or not: undecided
    assert chunker.push("Who. Then") == ["I met Dr. Who."]
    assert chunker.flush() == ["Then"]


def test_newlines_end_a_chunk_and_blank_lines_say_nothing() -> None:
    assert chunk("First line\n\nSecond line\nthird") == ["First line", "Second line", "third"]


def test_first_chunk_may_be_cut_at_a_comma_after_enough_words() -> None:
    text = "Well, I think that you are right about this, and I am glad, truly. Then more, much more, words here."
    assert chunk(text, first_clause_words=6) == [
        "Well, I think that you are right about this,", "and I am glad, truly.",
        "Then more, much more, words here."]


def test_no_early_cut_when_the_first_clause_is_short() -> None:
    assert chunk("Yes, sure. Ok.", first_clause_words=6) == ["Yes, sure.", "Ok."]


def test_empty_stream_gives_nothing() -> None:
    assert chunk("") == []
    assert chunk("   ") == []


@pytest.mark.parametrize("step", [1, 3])
def test_a_long_first_sentence_without_a_comma_is_cut_after_enough_words(step: int) -> None:
    text = "The ocean is a vast body of water that covers most of the planet. It is deep."
    assert chunk(text, step, first_clause_words=6, first_chunk_max_words=8) == [
        "The ocean is a vast body of water", "that covers most of the planet.", "It is deep."]
    # Arriving whole, the sentence is already complete: nothing to gain by cutting it.
    assert chunk(text, 100, first_clause_words=6, first_chunk_max_words=8) == [
        "The ocean is a vast body of water that covers most of the planet.", "It is deep."]


def test_the_word_cut_waits_for_the_next_word_so_none_is_split() -> None:
    chunker = SentenceChunker(first_clause_words=6, first_chunk_max_words=3)
    assert chunker.push("One two thr") == []
    assert chunker.push("ee ") == []  # "three" may go on ("threefold"): not yet
    assert chunker.push("f") == ["One two three"]
    assert chunker.push("our five six seven. Eight") == ["four five six seven."]  # only the first chunk is cut


def test_a_sentence_end_or_a_comma_comes_before_the_word_cut() -> None:
    assert chunk("Sure thing. Let me think about that for you now.", first_chunk_max_words=8) == [
        "Sure thing.", "Let me think about that for you now."]
    assert chunk("Well you know what I think, it depends on you.", first_clause_words=6,
                 first_chunk_max_words=8) == ["Well you know what I think,", "it depends on you."]


def test_the_default_cuts_a_long_first_sentence() -> None:
    chunker = SentenceChunker()
    out = chunker.push("The ocean is a vast body of water that covers")
    assert out == ["The ocean is a vast body of water"]
