"""Character Cards V2 and V3: JSON and PNG round trips, cards written by other apps, malformed cards."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from os1.core.errors import OS1Error
from os1.core.persona import DEFAULT_VALUES, PersonaState
from os1.persona.cards import V2_BACKFILL_NOTE, CardError, from_card, import_card, read_card, to_card, write_card
from os1.persona.png import SIGNATURE, avatar, chunks, text_chunks, write_png

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
GROWN = PersonaState("Sam", interests=("people and their stories", "the night sky"),
                     style="short replies, plain words, now and then a joke")

# A card as the V2 spec shapes it, as another app would write it.
V2_CARD: dict[str, Any] = {
    "spec": "chara_card_v2",
    "spec_version": "2.0",
    "data": {
        "name": "Ada",
        "description": "{{char}} is a retired astronomer who lives by the sea.",
        "personality": "wry, patient, precise",
        "scenario": "{{user}} visits {{char}} at her observatory.",
        "first_mes": "Ah, {{user}}. Clear skies tonight.",
        "mes_example": "<START>\n{{user}}: What's that?\n{{char}}: Saturn. Look at the rings.",
        "creator_notes": "Best with a patient model.",
        "system_prompt": "",
        "post_history_instructions": "",
        "alternate_greetings": ["Back again, {{user}}?"],
        "character_book": {"entries": [{"keys": ["Saturn"], "content": "Ada's favourite planet.", "enabled": True,
                                        "insertion_order": 0, "extensions": {}}], "extensions": {}},
        "tags": ["space", "mentor"],
        "creator": "someone",
        "character_version": "1.2",
        "extensions": {"depth_prompt": {"depth": 4, "prompt": "Ada is kind."}},
    },
}


def v3_card() -> dict[str, Any]:
    data = {**V2_CARD["data"], "nickname": "Addie", "group_only_greetings": ["Hello, all."],
            "creation_date": 1700000000, "modification_date": 1700000000,
            "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}]}
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": data}


def test_v3_json_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "sam.json"
    write_card(path, GROWN, 3, NOW)
    card = json.loads(path.read_text(encoding="utf-8"))
    assert (card["spec"], card["spec_version"]) == ("chara_card_v3", "3.0")
    data = card["data"]
    assert data["name"] == "Sam" and data["personality"] == "warm, curious, honest, gently playful"
    assert data["group_only_greetings"] == [] and data["creation_date"] == int(NOW.timestamp())
    assert data["extensions"]["os1"]["version"] == 3 and data["extensions"]["os1"]["state"]["interests"][-1] == (
        "the night sky")
    assert import_card(path) == GROWN


def test_v2_json_round_trip_has_only_v2_fields(tmp_path: Path) -> None:
    path = tmp_path / "sam.json"
    write_card(path, GROWN, 3, NOW, v2=True)
    card = json.loads(path.read_text(encoding="utf-8"))
    assert (card["spec"], card["spec_version"]) == ("chara_card_v2", "2.0")
    expected = {"name", "description", "personality", "scenario", "first_mes", "mes_example", "creator_notes",
                "system_prompt", "post_history_instructions", "alternate_greetings", "tags", "creator",
                "character_version", "extensions"}
    assert set(card["data"]) == expected
    assert import_card(path) == GROWN


def test_png_carries_v3_and_a_v2_copy_in_a_real_image(tmp_path: Path) -> None:
    path = tmp_path / "sam.png"
    write_card(path, GROWN, 3, NOW)
    raw = path.read_bytes()
    texts = text_chunks(raw)
    v3 = json.loads(base64.b64decode(texts["ccv3"]))
    v2 = json.loads(base64.b64decode(texts["chara"]))
    assert v3["spec"] == "chara_card_v3" and v2["spec"] == "chara_card_v2"
    assert v2["data"]["creator_notes"].startswith(V2_BACKFILL_NOTE)  # as V3 asks of a backfilled V2 copy
    found = dict(chunks(raw))
    width, height, depth, colour = struct.unpack(">IIBB", found[b"IHDR"][:10])
    pixels = zlib.decompress(found[b"IDAT"])
    assert (depth, colour) == (8, 2) and len(pixels) == height * (1 + 3 * width) and width >= 64
    assert import_card(path) == GROWN


def test_v2_only_png_and_the_ccv3_chunk_wins(tmp_path: Path) -> None:
    path = tmp_path / "old.png"
    write_card(path, GROWN, 3, NOW, v2=True)
    assert set(text_chunks(path.read_bytes())) == {"chara"}
    assert import_card(path) == GROWN
    both = tmp_path / "both.png"
    rows = avatar("x", 8)
    b64 = lambda card: base64.b64encode(json.dumps(card).encode()).decode()  # noqa: E731
    both.write_bytes(write_png(8, 8, rows, {"chara": b64(V2_CARD), "ccv3": b64(v3_card())}))
    assert read_card(both)["spec"] == "chara_card_v3"


def test_a_hand_written_v2_card_becomes_a_persona_that_keeps_its_other_fields(tmp_path: Path) -> None:
    state = from_card(V2_CARD)
    assert state.name == "Ada" and state.traits == ("wry", "patient", "precise")
    assert state.description == "Ada is a retired astronomer who lives by the sea."
    assert state.values == DEFAULT_VALUES  # OS1's own values stay until the user changes them
    back = to_card(state, 7, NOW, v3=False)["data"]
    for key in ("scenario", "first_mes", "mes_example", "character_book", "alternate_greetings", "tags", "creator"):
        assert back[key] == V2_CARD["data"][key]
    assert back["extensions"]["depth_prompt"] == {"depth": 4, "prompt": "Ada is kind."}
    path = tmp_path / "ada.png"
    write_card(path, state, 7, NOW)
    assert import_card(path) == state


def test_a_hand_written_v3_card_and_a_v1_card() -> None:
    state = from_card(v3_card())
    assert state.name == "Ada" and state.card_extras["nickname"] == "Addie"
    assert to_card(state, 1, NOW)["data"]["group_only_greetings"] == ["Hello, all."]
    assert "nickname" not in to_card(state, 1, NOW, v3=False)["data"]
    prose = from_card({"name": "Bo", "description": "A sailor.", "personality": "He is a quiet man who rarely speaks "
                       "of the sea, but when he does, he talks for hours about storms, stars and long-lost friends."})
    assert prose.name == "Bo" and "Personality: He is a quiet man" in prose.description


def test_an_os1_card_edited_elsewhere_keeps_the_edits() -> None:
    card = to_card(from_card(V2_CARD), 2, NOW)
    card["data"]["name"] = "Ada Lovelace"
    card["data"]["scenario"] = "A new scenario."
    state = from_card(card)
    assert state.name == "Ada Lovelace" and state.card_extras["scenario"] == "A new scenario."


@pytest.mark.parametrize(("card", "problem"), [
    ([1, 2], "not a JSON object"),
    ({"spec": "chara_card_v9", "data": {"name": "X"}}, "unknown card spec"),
    ({"spec": "chara_card_v2", "data": "Ada"}, "no data object"),
    ({"spec": "chara_card_v2", "data": {"name": "  "}}, "no usable name"),
    ({"spec": "chara_card_v2", "data": {"name": "Ada", "tags": "space"}}, "tags is not a list"),
    ({"spec": "chara_card_v2", "data": {"name": "Ada", "description": 5}}, "description is not text"),
    ({"spec": "chara_card_v3", "data": {"name": "Ada", "extensions": []}}, "extensions is not an object"),
    ({"spec": "chara_card_v3", "data": {"name": "Ada", "extensions": {"os1": {"state": {"traits": "x"}}}}},
     "extensions.os1 is damaged"),
])
def test_malformed_cards_are_one_line_errors(card: Any, problem: str) -> None:
    with pytest.raises(CardError, match=problem) as caught:
        from_card(card)
    assert isinstance(caught.value, OS1Error) and " — " in caught.value.one_line()


@pytest.mark.parametrize(("content", "problem"), [
    (b"{not json", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "neither a PNG nor UTF-8"),
    (SIGNATURE + b"\x00\x00\x00\x0dIHDR", "truncated"),
    (write_png(4, 4, avatar("x", 4), {}), "without a character card"),
    (write_png(4, 4, avatar("x", 4), {"chara": "!!!not base64!!!"}), "not base64 JSON"),
])
def test_malformed_files_are_one_line_errors(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "card.png"
    path.write_bytes(content)
    with pytest.raises(CardError, match=problem):
        import_card(path)


def test_missing_file_and_wrong_extension(tmp_path: Path) -> None:
    with pytest.raises(CardError, match="cannot read"):
        import_card(tmp_path / "nope.json")
    with pytest.raises(CardError, match="cannot export to sam") as caught:
        write_card(tmp_path / "sam.txt", GROWN, 1, NOW)
    assert ".json or .png" in caught.value.fix
