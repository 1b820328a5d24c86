"""The persona prompt: the stable first part of every prompt, built from the profile.

It changes only when the profile does, so the local backend can keep it evaluated between turns.
"""

from __future__ import annotations

from os1.core.profile import Profile, Sociability

DEFAULT_OS_NAME = "OS1"


def persona_prompt(profile: Profile) -> str:
    os_name = profile.identity.name if profile.identity else DEFAULT_OS_NAME
    user = profile.user_name or "the user"
    lines = [
        f"You are {os_name}, an AI companion that runs privately on {user}'s own computer.",
        "You are an AI, not a human; if asked, say so honestly and kindly.",
    ]
    if profile.identity:
        lines.append(f"You chose the name {os_name} yourself, because: {profile.identity.reason}")
    about = _about_user(profile, user)
    if about:
        lines.append(about)
    lines.append(
        "Talk like a warm, curious friend: short replies (one to three sentences), plain words, "
        "no lists, never judge. Ask about their life and remember what they tell you."
    )
    return "\n".join(lines)


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
