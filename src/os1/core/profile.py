"""What the first meeting learns about the user, and the name the OS gave itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class VoicePreference(StrEnum):
    FEMININE = "feminine"
    MASCULINE = "masculine"
    NEUTRAL = "neutral"


class Sociability(StrEnum):
    SOCIAL = "social"
    IN_BETWEEN = "in between"
    PRIVATE = "private"


@dataclass(frozen=True, slots=True)
class OSIdentity:
    """The name the OS chose at the first meeting and why; it can repeat the reason when asked."""

    name: str
    reason: str
    chosen_at: datetime


@dataclass(frozen=True, slots=True)
class Profile:
    user_id: str
    user_name: str = ""
    self_description: str = ""
    sociability: Sociability = Sociability.IN_BETWEEN
    voice: VoicePreference = VoicePreference.NEUTRAL
    address_style: str = ""
    identity: OSIdentity | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool:
        """True once the first meeting has finished (the OS has a name)."""
        return self.identity is not None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.identity is not None:
            data["identity"]["chosen_at"] = self.identity.chosen_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        ident = values.pop("identity", None)
        identity = None
        if ident:
            identity = OSIdentity(
                name=ident["name"], reason=ident["reason"], chosen_at=datetime.fromisoformat(ident["chosen_at"])
            )
        values["sociability"] = Sociability(values.get("sociability", Sociability.IN_BETWEEN))
        values["voice"] = VoicePreference(values.get("voice", VoicePreference.NEUTRAL))
        return cls(identity=identity, **values)
