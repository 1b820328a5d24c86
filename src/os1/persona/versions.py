"""The persona's versions in the store: the only place that writes one (``_append``).

Four ways lead to a new version, each with its source: the first meeting (seeded lazily when the
persona is first read, and renamed when the user meets the OS again), a reflection (the only change the
OS makes on its own, told to the user at the next turn), a revert and a card import (both the user's).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from os1.core.errors import InputError, NotFoundError
from os1.core.persona import PersonaSource, PersonaState, PersonaVersion, seed_state
from os1.core.profile import OSIdentity, Profile
from os1.persona.growth import PersonaChange, apply_change
from os1.storage.base import Store


async def current_persona(store: Store, profile: Profile) -> PersonaVersion | None:
    """The current version; seeded from the first meeting when there is none yet (None before meeting)."""
    latest = await store.persona.latest(profile.user_id)
    identity = profile.identity
    if identity is None:
        return latest
    if latest is None:
        # The why of a first-meeting version is why the OS chose its name.
        return await _append(store, profile.user_id, seed_state(profile), identity.reason,
                             PersonaSource.FIRST_MEETING)
    # The user held the first meeting again and the OS chose a new name: everything else stays.
    if latest.state.name != identity.name and identity.chosen_at > latest.created_at:
        state = replace(latest.state, name=identity.name, voice=profile.voice.value)
        return await _append(store, profile.user_id, state, identity.reason, PersonaSource.FIRST_MEETING)
    return latest


async def grow(store: Store, profile: Profile, change: PersonaChange, at: datetime | None = None) -> PersonaVersion:
    """A reflection's change as a new version, to be told to the user at the next turn."""
    current = await current_persona(store, profile)
    if current is None:
        raise NotFoundError("the OS has no persona before the first meeting", "run `os1 setup`")
    state = apply_change(current.state, change)
    return await _append(store, profile.user_id, state, change.reason, PersonaSource.REFLECTION,
                         announced=False, at=at)


async def revert(store: Store, profile: Profile, version: int) -> PersonaVersion:
    """A new version equal to an old one: the history keeps every version, the undone one included."""
    old = await store.persona.get(profile.user_id, version)
    if old is None:
        raise NotFoundError(f"there is no persona version {version}", "see `os1 persona history`")
    current = await current_persona(store, profile)
    if current is not None and current.state.same_as(old.state):
        raise InputError(f"version {version} is the same as the current one", "see `os1 persona history`")
    name_reason = old.reason if old.source is PersonaSource.FIRST_MEETING else f"it was my name in version {version}"
    return await _append(store, profile.user_id, old.state, f"you asked me to go back to version {version}",
                         PersonaSource.REVERT, name_reason=name_reason)


async def adopt(store: Store, profile: Profile, state: PersonaState, reason: str) -> PersonaVersion:
    """An imported persona (a Character Card) as the new version."""
    current = await current_persona(store, profile)  # seeds version 1 first, so the import can be reverted
    if current is not None and current.state.same_as(state):
        raise InputError("that card is the persona I already have", "see `os1 persona show`")
    return await _append(store, profile.user_id, state, reason, PersonaSource.IMPORT,
                         name_reason="it is the name on the character card you gave me")


async def _append(store: Store, user_id: str, state: PersonaState, reason: str, source: PersonaSource, *,
                  announced: bool = True, at: datetime | None = None, name_reason: str = "") -> PersonaVersion:
    version = await store.persona.add(user_id, state, reason, source, announced=announced, created_at=at)
    await _sync_name(store, user_id, version, name_reason or reason)
    return version


async def _sync_name(store: Store, user_id: str, version: PersonaVersion, name_reason: str) -> None:
    """A revert or import that changes the name changes the profile's too, so every part agrees.

    Before the first meeting there is no name to keep in step: the meeting will choose one.
    """
    profile = await store.profiles.get(user_id)
    if profile.identity is None or profile.identity.name == version.state.name:
        return
    identity = OSIdentity(version.state.name, name_reason, version.created_at)
    await store.profiles.save(replace(profile, identity=identity))
