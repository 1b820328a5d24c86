"""Keyword-index words that belong to one user (migration 9).

All users' memory items share one FTS5 index, and FTS5's ``bm25()`` counts, for each word of a query, every
indexed item with that word (its IDF) before it scores a single match: a word like "today" made every
user's query walk every other user's items with it, a cost that grew with the whole store (0.5 ms a query
at 1,000 users of a dozen items each; bench/RESULTS.md). So each word is indexed with its owner's tag in
front ("today" -> "cbbbbbtoday" for the first user, "dbbbbbtoday" for the second): a query for a tagged word walks
that user's items only, and its IDF is the user's own, as if each user had an index of their own.

The tag is made of consonants other than y, so the porter stemmer treats the word after it the way it
treats the word alone (its rules look at vowels and at the word's end); the index and the queries are
tagged by the same function, so a word matches exactly where it did before.
"""

from __future__ import annotations

import re
import sqlite3

# Items' rowids are slot << 32 (migration 8): the slot names the owner in the index.
SLOT_SHIFT = 32
_LETTERS = "bcdfghjklmnpqrstvwxz"
TAG_LENGTH = 6  # 20**6: 64 million users
# Word characters the way FTS5's unicode61 tokenizer sees them, but never splitting where it does not:
# letters and digits, not "_" (a separator there).
_WORD = re.compile(r"[^\W_]+")
_QUOTED = re.compile(r'"([^"]*)"')
SQL_FUNCTION = "os1_owned"


def tag(slot: int) -> str:
    letters = []
    for _ in range(TAG_LENGTH):
        slot, digit = divmod(slot, len(_LETTERS))
        letters.append(_LETTERS[digit])
    return "".join(letters)


def owned(rowid: int, text: str | None) -> str:
    """``text`` with each word tagged with the owner of the item at ``rowid`` (what the index stores)."""
    return _tagged(tag(rowid >> SLOT_SHIFT), text or "")


def owned_match(slot: int, match: str) -> str:
    """An FTS5 expression (quoted words and phrases, operators, column filters) for the user's own words:
    only what is inside quotes is tagged."""
    prefix = tag(slot)
    return _QUOTED.sub(lambda quoted: f'"{_tagged(prefix, quoted.group(1))}"', match)


def _tagged(prefix: str, text: str) -> str:
    return _WORD.sub(lambda word: prefix + word.group(0), text)


def register(con: sqlite3.Connection) -> None:
    """The index triggers call ``os1_owned(rowid, text)``: every connection that writes memory needs it."""
    con.create_function(SQL_FUNCTION, 2, owned, deterministic=True)
