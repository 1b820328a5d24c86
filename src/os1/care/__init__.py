"""The care protocol: crisis detection with resources, and honest AI disclosure.

``os1.care`` imports only ``os1.core`` and ``os1.embeddings``. Entry points for the engine:
``CrisisDetector.assess``, ``crisis_reply``, ``asks_if_human`` / ``DISCLOSURE``, ``reminder_due`` / ``REMINDER``.
"""

from __future__ import annotations

from os1.care.crisis import CrisisAssessment, CrisisDetector, Thresholds, assess_lexicon
from os1.care.disclosure import DISCLOSURE, REMINDER, asks_if_human, continuous_since, reminder_due
from os1.care.lexicon import CATEGORIES, HARM_OTHERS, SELF_HARM, SUICIDE
from os1.care.resources import CrisisResources, Helpline, crisis_reply, resources_for

__all__ = [
    "CATEGORIES",
    "DISCLOSURE",
    "HARM_OTHERS",
    "REMINDER",
    "SELF_HARM",
    "SUICIDE",
    "CrisisAssessment",
    "CrisisDetector",
    "CrisisResources",
    "Helpline",
    "Thresholds",
    "asks_if_human",
    "assess_lexicon",
    "continuous_since",
    "crisis_reply",
    "reminder_due",
    "resources_for",
]
