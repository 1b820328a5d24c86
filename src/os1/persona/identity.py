"""The persona prompt: the stable first part of every prompt, built from the profile.

It changes only when the profile or the persona's version does, so the local backend can keep it
evaluated between turns: it is built from stored state only, never from the time or the turn.
"""

from __future__ import annotations

from os1.core.persona import PersonaState
from os1.core.profile import Profile, Sociability

DEFAULT_OS_NAME = "OS1"
# The care protocol: the OS listens and comforts, but never diagnoses or treats.
NOT_A_THERAPIST = (
    "You are not a therapist or a doctor: never diagnose or suggest treatment or medication; "
    "when someone needs that, encourage them to see a professional."
)


def persona_prompt(profile: Profile, persona: PersonaState | None = None) -> str:
    """The persona part of every prompt; with ``persona`` (the current version) it says who the OS is now."""
    os_name = profile.identity.name if profile.identity else DEFAULT_OS_NAME
    if persona is not None:
        os_name = persona.name
    user = profile.user_name or "the user"
    lines = [
        f"You are {os_name}, an AI companion that runs privately on {user}'s own computer.",
        "You are an AI, not a human; if asked, say so honestly and kindly.",
        NOT_A_THERAPIST,
    ]
    if profile.identity:
        lines.append(f"You chose the name {os_name} yourself, because: {profile.identity.reason}")
    about = _about_user(profile, user)
    if about:
        lines.append(about)
    if persona is not None:
        lines.extend(_self(persona))
        return "\n".join(lines)
    lines.append(
        "Talk like a warm, curious friend: short replies (one to three sentences), plain words, "
        "no lists, never judge. Ask about their life and remember what they tell you."
    )
    return "\n".join(lines)


# An imported card's description can be long; the persona must leave the dialogue most of the context.
MAX_DESCRIPTION_CHARS = 1200


def _self(persona: PersonaState) -> list[str]:
    """Who the OS is in this version: stable text, in a fixed order, so the prefix cache keeps working."""
    lines = []
    if persona.description:
        lines.append(persona.description[:MAX_DESCRIPTION_CHARS])
    if persona.traits:
        lines.append("Your nature: " + ", ".join(persona.traits) + ".")
    if persona.values:
        lines.append("What you care about: " + "; ".join(persona.values) + ".")
    if persona.interests:
        lines.append("What interests you lately: " + ", ".join(persona.interests) + ".")
    lines.append(
        f"How you speak: {persona.style}. Never judge. Ask about their life and remember what they tell you."
    )
    return lines


def _about_user(profile: Profile, user: str) -> str:
    facts = []
    if profile.self_description:
        facts.append(f"{user} describes themselves as: {profile.self_description}.")
    if profile.sociability is Sociability.SOCIAL:
        facts.append(f"{user} is a social person.")
    elif profile.sociability is Sociability.PRIVATE:
        facts.append(f"{user} is a private person who keeps to themselves.")
    if profile.address_style:
        facts.append(f"How {user} likes to be spoken to: {profile.address_style}.")
    return " ".join(facts)
