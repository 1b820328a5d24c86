"""Character Card V2 and V3: the persona as a card other apps can read, and cards as personas.

V2: github.com/malfoyslastname/character-card-spec-v2; V3: github.com/kwaroran/character-card-spec-v3.
OS1's own state travels under ``data.extensions.os1`` (the specs' place for app data), so a card that
leaves OS1 and comes back is the same persona. Fields OS1 does not model (a scenario, a lorebook, other
apps' extensions) are kept and written back on export. A PNG card carries the V3 card in a ``ccv3``
text chunk and a V2 copy in ``chara`` (what V3 recommends, so V2-only apps can read it too).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from os1.core.errors import InputError
from os1.core.persona import DEFAULT_STYLE, DEFAULT_TRAITS, DEFAULT_VALUES, PersonaState
from os1.persona.png import PNGError, avatar, text_chunks, write_png

V2, V3 = "chara_card_v2", "chara_card_v3"
OS1_EXTENSION = "os1"
OS1_FORMAT = 1
# Cards larger than this are not personas (a lorebook can be big, but not this big).
MAX_CARD_BYTES = 20 * 1024 * 1024
MAX_NAME_CHARS = 60
# Fields derived from the persona on export; every other field of an imported card is kept as it was.
DERIVED = ("name", "description", "personality", "character_version", "extensions", "creation_date",
           "modification_date")
TEXT_FIELDS = ("description", "personality", "scenario", "first_mes", "mes_example", "creator_notes",
               "system_prompt", "post_history_instructions", "creator", "character_version", "nickname")
LIST_FIELDS = ("alternate_greetings", "tags", "group_only_greetings")
V3_ONLY = ("group_only_greetings", "assets", "nickname", "creator_notes_multilingual", "source")
V2_BACKFILL_NOTE = (
    "This character card is Character Card V3, but it is loaded as a Character Card V2. Please use a "
    "Character Card V3 compatible application to use this character card properly."
)


class CardError(InputError):
    """A character card that cannot be read (not a card, or a field of the wrong kind)."""


def to_card(state: PersonaState, version: int, now: datetime, *, v3: bool = True) -> dict[str, Any]:
    """The persona as a V3 (or V2) card object."""
    extras = dict(state.card_extras)
    extensions = dict(extras.pop("extensions", {}))
    own = {k: v for k, v in state.to_json().items() if k != "card_extras"}
    # card_fields: which fields came from an imported card (read back from the card, edits included).
    extensions[OS1_EXTENSION] = {"format": OS1_FORMAT, "version": version, "state": own,
                                 "card_fields": sorted(extras)}
    data: dict[str, Any] = {
        "name": state.name,
        "description": state.description or _describe(state),
        "personality": ", ".join(state.traits),
        "scenario": "{{char}} is a personal AI companion who lives on {{user}}'s own computer.",
        "first_mes": f"Hello, {{{{user}}}}. I'm {state.name}. How are you, really?",
        "mes_example": "",
        "creator_notes": f"Exported from OS1 (persona version {version}); OS1's own state is in extensions.os1.",
        "system_prompt": "",
        "post_history_instructions": "",
        "alternate_greetings": [],
        "tags": ["os1", "companion"],
        "creator": "OS1",
        "character_version": str(version),
        "extensions": extensions,
    }
    if v3:
        data["group_only_greetings"] = []
    data.update({k: v for k, v in extras.items() if v3 or k not in V3_ONLY})
    if v3:
        stamp = int(now.timestamp())
        data["creation_date"], data["modification_date"] = stamp, stamp
    return {"spec": V3 if v3 else V2, "spec_version": "3.0" if v3 else "2.0", "data": data}


def _describe(state: PersonaState) -> str:
    parts = [f"{{{{char}}}} is an AI companion: {', '.join(state.traits)}."]
    if state.interests:
        parts.append(f"Interested in {', '.join(state.interests)}.")
    parts.append(f"Cares about {'; '.join(state.values)}. Speaks in {state.style}.")
    return " ".join(parts)


def from_card(card: Any) -> PersonaState:
    """The persona in a V3, V2 (or V1) card; a malformed card is a CardError that names the problem."""
    data = _data(card)
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME_CHARS:
        raise CardError("the card has no usable name", f"give data.name a name of 1 to {MAX_NAME_CHARS} characters")
    _check_fields(data)
    extensions = data.get("extensions") or {}
    own = extensions.get(OS1_EXTENSION)
    if isinstance(own, dict) and "state" in own:
        return _own(data, name, own, _kept(data, own.get("card_fields", []), extensions))
    return _foreign(data, name.strip(), extensions)


def _own(data: dict[str, Any], name: str, own: dict[str, Any], extras: dict[str, Any]) -> PersonaState:
    """A card OS1 wrote: its state as it was, under the card's (possibly edited) name."""
    try:
        return replace(PersonaState.from_json({**own["state"], "name": name}), card_extras=extras)
    except (ValueError, TypeError) as exc:
        raise CardError(f"the card's extensions.os1 is damaged ({exc})",
                        "remove extensions.os1 and import again") from exc


def _kept(data: dict[str, Any], fields: Any, extensions: dict[str, Any]) -> dict[str, Any]:
    """The fields of the card OS1 keeps without modelling them, and other apps' extensions."""
    keys = fields if isinstance(fields, list) else [k for k in data if k not in DERIVED]
    extras = {k: data[k] for k in keys if isinstance(k, str) and k in data and k not in DERIVED}
    others = {k: v for k, v in extensions.items() if k != OS1_EXTENSION}
    if others:
        extras["extensions"] = others
    return extras


def _data(card: Any) -> dict[str, Any]:
    if not isinstance(card, dict):
        raise CardError("the card is not a JSON object", "export it again as a Character Card V2 or V3")
    spec = card.get("spec")
    if spec is None and isinstance(card.get("name"), str):
        return card  # a V1 card: the fields at the top level
    if spec not in (V2, V3):
        raise CardError(f"unknown card spec {spec!r}",
                        "OS1 reads Character Card V2 (chara_card_v2) and V3 (chara_card_v3)")
    data = card.get("data")
    if not isinstance(data, dict):
        raise CardError("the card has no data object", "a V2/V3 card keeps its fields under \"data\"")
    return data


def _check_fields(data: dict[str, Any]) -> None:
    for key in TEXT_FIELDS:
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise CardError(f"the card's {key} is not text", f"make data.{key} a string")
    for key in LIST_FIELDS:
        value = data.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise CardError(f"the card's {key} is not a list of text", f"make data.{key} a list of strings")
    if data.get("extensions") is not None and not isinstance(data["extensions"], dict):
        raise CardError("the card's extensions is not an object", "make data.extensions an object ({})")


# A personality written as a short list ("kind, witty, shy") becomes traits; prose goes to the description.
MAX_TRAITS = 8
MAX_TRAIT_CHARS = 40


def _foreign(data: dict[str, Any], name: str, extensions: dict[str, Any]) -> PersonaState:
    """A card from another app: its description and personality, OS1's values and default style."""
    description = " ".join(str(data.get("description") or "").split())
    personality = " ".join(str(data.get("personality") or "").split())
    parts = [p.strip() for p in personality.replace(";", ",").split(",") if p.strip()]
    if parts and len(parts) <= MAX_TRAITS and all(len(p) <= MAX_TRAIT_CHARS for p in parts):
        traits = tuple(parts)
    else:
        traits = DEFAULT_TRAITS
        if personality:
            description = f"{description}\nPersonality: {personality}".strip()
    extras = _kept(data, None, extensions)
    return PersonaState(name=name, traits=traits, interests=(), style=DEFAULT_STYLE, values=DEFAULT_VALUES,
                        description=description.replace("{{char}}", name), card_extras=extras)


def write_card(path: Path, state: PersonaState, version: int, now: datetime, *, v2: bool = False) -> None:
    """Write the persona to ``path``: .json (V3, or V2 with ``v2``) or .png (both chunks, or only V2's)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        card = to_card(state, version, now, v3=not v2)
        path.write_text(json.dumps(card, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    if suffix != ".png":
        raise CardError(f"cannot export to {path.name}", "name the file .json or .png")
    old = to_card(state, version, now, v3=False)
    texts: dict[str, str] = {}
    if not v2:
        texts["ccv3"] = _b64(to_card(state, version, now))
        notes = old["data"]["creator_notes"]
        old["data"]["creator_notes"] = f"{V2_BACKFILL_NOTE}\n\n{notes}".strip()
    texts["chara"] = _b64(old)
    rows = avatar(state.name)
    path.write_bytes(write_png(len(rows), len(rows), rows, texts))


def _b64(card: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(card, ensure_ascii=False).encode("utf-8")).decode("ascii")


def read_card(path: Path) -> dict[str, Any]:
    """The card object in a .json or .png file (a PNG's ``ccv3`` chunk before its ``chara``)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CardError(f"cannot read {path}: {exc.strerror or exc}", "check the file name") from exc
    if len(raw) > MAX_CARD_BYTES:
        raise CardError(f"{path.name} is too large for a character card", "use a card under 20 MB")
    text = _png_card(path, raw) if raw.startswith(b"\x89PNG") else _utf8(path, raw)
    try:
        card = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CardError(f"{path.name} is not valid JSON ({exc.msg}, line {exc.lineno})",
                        "fix the file or export it again") from exc
    if not isinstance(card, dict):
        raise CardError(f"{path.name} is not a character card", "a card is a JSON object with spec and data")
    return card


def _png_card(path: Path, raw: bytes) -> str:
    try:
        texts = text_chunks(raw)
    except PNGError as exc:
        raise CardError(f"{path.name}: {exc}", "export the card again") from exc
    encoded = texts.get("ccv3") or texts.get("chara")
    if encoded is None:
        raise CardError(f"{path.name} is an image without a character card in it", "use a card PNG (chara or ccv3)")
    try:
        return base64.b64decode(encoded, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise CardError(f"the card in {path.name} is not base64 JSON", "export the card again") from exc


def _utf8(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CardError(f"{path.name} is neither a PNG nor UTF-8 JSON", "use a .json or .png card") from exc


def import_card(path: Path) -> PersonaState:
    return from_card(read_card(path))
