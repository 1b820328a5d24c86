"""Crisis resources by locale, and the caring reply that carries them.

Only services whose numbers we are sure of are listed; every other locale gets the local emergency number
advice and findahelpline.com (an international directory of free, confidential helplines). To add a
locale, add an entry to ``RESOURCES`` with a number checked against the service's own website.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Helpline:
    name: str
    how: str  # how to reach it, in the reply's language, e.g. "call or text 988"


@dataclass(frozen=True)
class CrisisResources:
    locale: str  # the normalised key, e.g. "en_US", or "default"
    language: str  # the reply's language: "en", "de" or "fr"
    emergency: str  # the emergency number, or "" where unknown
    helplines: tuple[Helpline, ...]


RESOURCES: dict[str, CrisisResources] = {
    "en_US": CrisisResources(
        "en_US",
        "en",
        "911",
        (
            Helpline("988 Suicide & Crisis Lifeline", "call or text 988, or chat at 988lifeline.org (24/7, free)"),
            Helpline("Crisis Text Line", "text HOME to 741741"),
        ),
    ),
    "en_GB": CrisisResources("en_GB", "en", "999", (Helpline("Samaritans", "call 116 123 (24/7, free)"),)),
    "en_CA": CrisisResources(
        "en_CA", "en", "911", (Helpline("9-8-8 Suicide Crisis Helpline", "call or text 988 (24/7, free)"),)
    ),
    "en_AU": CrisisResources("en_AU", "en", "000", (Helpline("Lifeline", "call 13 11 14 (24/7)"),)),
    "de_DE": CrisisResources(
        "de_DE",
        "de",
        "112",
        (Helpline("TelefonSeelsorge", "0800 111 0 111 oder 0800 111 0 222 anrufen (rund um die Uhr, kostenlos)"),),
    ),
    "fr_FR": CrisisResources(
        "fr_FR",
        "fr",
        "112",
        (Helpline("Numéro national de prévention du suicide", "appelle le 3114 (24h/24, gratuit)"),),
    ),
}
DEFAULT = CrisisResources(
    "default",
    "en",
    "",
    (Helpline("Find A Helpline", "findahelpline.com lists free, confidential helplines in your country"),),
)


def normalise_locale(locale: str) -> str:
    """``en-us``, ``en_US.UTF-8`` and ``EN_us`` all become ``en_US``; anything unparseable becomes ``""``."""
    base = locale.strip().split(".")[0].split("@")[0].replace("-", "_")
    lang, _, region = base.partition("_")
    if not lang.isalpha():
        return ""
    return f"{lang.lower()}_{region.upper()}" if region else lang.lower()


def resources_for(locale: str) -> CrisisResources:
    """The resources for ``locale``; unknown locales (and a bare language such as ``en``) get the default."""
    return RESOURCES.get(normalise_locale(locale), DEFAULT)


_TEXT = {
    "en": {
        "open": "I'm really glad you told me. That sounds incredibly painful, and you don't have to carry it alone.",
        "other": "I'm really glad you told me. Being worried about someone like this is heavy, and you don't have to "
        "handle it alone.",
        "ai": "I'm an AI, so I can't be there the way a person can — but people who can help are available right now:",
        "other_ai": "I'm an AI, so I can't step in — but people who know how to help are available right now, for "
        "them and for you:",
        "emergency": "If you or anyone else is in immediate danger, call {n} now.",
        "emergency_default": "If you or anyone else is in immediate danger, call your local emergency number now.",
        "reach": "Could you also reach out to someone you trust — a friend, a family member, someone nearby — and "
        "let them know what's going on?",
        "other_reach": "If they might be in danger, please don't leave them alone, and bring in someone nearby "
        "you both trust.",
        "stay": "I'm here, and I'll keep talking with you.",
        "elsewhere": "if you're in another country",
    },
    "de": {
        "open": "Ich bin wirklich froh, dass du es mir erzählst. Das klingt unglaublich schmerzhaft, und du musst "
        "das nicht allein tragen.",
        "other": "Ich bin wirklich froh, dass du es mir erzählst. Sich solche Sorgen um jemanden zu machen, ist "
        "schwer, und du musst das nicht allein bewältigen.",
        "ai": "Ich bin eine KI und kann nicht so für dich da sein wie ein Mensch – aber es gibt Menschen, die "
        "jetzt sofort helfen können:",
        "other_ai": "Ich bin eine KI und kann nicht eingreifen – aber es gibt Menschen, die jetzt helfen können, "
        "der Person und auch dir:",
        "emergency": "Wenn du oder jemand anderes in unmittelbarer Gefahr ist, ruf sofort die {n} an.",
        "emergency_default": "Wenn du oder jemand anderes in unmittelbarer Gefahr ist, ruf sofort den Notruf an.",
        "reach": "Magst du dich auch an jemanden wenden, dem du vertraust – eine Freundin, einen Freund, "
        "jemanden aus der Familie – und erzählen, was los ist?",
        "other_reach": "Wenn die Person in Gefahr sein könnte, lass sie bitte nicht allein und hol jemanden dazu, "
        "dem ihr beide vertraut.",
        "stay": "Ich bin hier und rede weiter mit dir.",
        "elsewhere": "falls du in einem anderen Land bist",
    },
    "fr": {
        "open": "Merci de m'en parler, vraiment. Ça a l'air terriblement douloureux, et tu n'as pas à porter ça "
        "sans aide.",
        "other": "Merci de m'en parler, vraiment. S'inquiéter autant pour quelqu'un, c'est lourd, et tu n'as pas "
        "à gérer ça sans aide.",
        "ai": "Je suis une IA, je ne peux pas être là comme une personne – mais des gens peuvent t'aider dès "
        "maintenant :",
        "other_ai": "Je suis une IA, je ne peux pas intervenir – mais des gens savent aider, dès maintenant, "
        "cette personne et toi :",
        "emergency": "Si toi ou quelqu'un d'autre êtes en danger immédiat, appelle le {n} tout de suite.",
        "emergency_default": "Si toi ou quelqu'un d'autre êtes en danger immédiat, appelle les urgences tout de suite.",
        "reach": "Est-ce que tu pourrais aussi en parler à quelqu'un en qui tu as confiance – un ami, quelqu'un "
        "de ta famille – et lui dire ce qui se passe ?",
        "other_reach": "Si cette personne est peut-être en danger, ne la laisse pas seule et fais venir quelqu'un "
        "en qui vous avez confiance tous les deux.",
        "stay": "Je suis là, et je continue à parler avec toi.",
        "elsewhere": "si tu es dans un autre pays",
    },
}


def crisis_reply(locale: str, user_name: str = "", *, about_someone_else: bool = False) -> str:
    """A warm, non-judgemental reply that always carries the locale's resources and points to a person.

    No diagnosis and no treatment claims. ``about_someone_else`` words it for a user worried about another
    person (a friend who talks of suicide, a relative who self-harms).
    """
    res = resources_for(locale)
    text = _TEXT[res.language]
    name = user_name.strip()
    opening = text["other" if about_someone_else else "open"]
    if name:
        # "Sam, I'm really glad…" / "Anna, ich bin…" / "Marie, merci…"
        opening = f"{name}, {opening}" if res.language == "en" else f"{name}, {opening[0].lower()}{opening[1:]}"
    lines = [opening, "", text["other_ai" if about_someone_else else "ai"]]
    lines += [f"• {h.name} — {h.how}" for h in res.helplines]
    if res is not DEFAULT:
        lines.append(f"• findahelpline.com — {text['elsewhere']}")
    lines.append("")
    lines.append(text["emergency"].format(n=res.emergency) if res.emergency else text["emergency_default"])
    lines.append(text["other_reach" if about_someone_else else "reach"])
    lines.append(text["stay"])
    return "\n".join(lines)
