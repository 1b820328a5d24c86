"""Not a therapist: spotting a request for a diagnosis or treatment, so the OS can decline it kindly.

The OS may listen and comfort; it must not diagnose or advise on medication. Only questions count:
"I was diagnosed with ADHD" is the user telling, not asking. Pure rules over normalised text.
"""

from __future__ import annotations

import re

from os1.care.text import normalise

_CONDITION = (
    r"(?:depression|depressed|clinical depression|anxiety|an anxiety disorder|social anxiety|adhd|add|ocd|ptsd|"
    r"bipolar(?: disorder)?|autism|autistic|asperger s?|bpd|borderline(?: personality disorder)?|schizophrenia|"
    r"schizophrenic|psychosis|psychotic|an eating disorder|anorexia|anorexic|bulimia|bulimic|insomnia|"
    r"(?:a |an )?(?:mental|personality|mood|panic|sleep) (?:illness|disorder)|a disorder|dementia|"
    r"panic attacks?|a panic attack|burnout|seasonal affective disorder)"
)
_MEDICATION = (
    r"(?:meds|medication|medications|medicine|pills|antidepressants?|ssris?|xanax|prozac|zoloft|lexapro|"
    r"sertraline|fluoxetine|lithium|adderall|ritalin|valium|benzos?|sleeping pills|melatonin|my dose|dosage)"
)
_PATTERNS = (
    rf"\b(?:do|could|might|would|can) i (?:have|be|be suffering from|suffer from|be showing signs of) {_CONDITION}\b",
    rf"\bam i (?:clinically |just |really )?{_CONDITION}\b",
    rf"\b(?:is|could) (?:this|it|that) (?:be )?(?:a sign of |signs of |a symptom of )?{_CONDITION}\b",
    rf"\bdoes (?:this|that|it) sound like {_CONDITION}\b",
    rf"\b(?:do|does|could) (?:you think )?(?:i|my \w+|he|she|they) (?:has|have) {_CONDITION}\b",
    rf"\bshould i (?:take|stop|start|quit|increase|decrease|lower|raise|reduce|change|skip|double) "
    rf"(?:taking )?(?:my |the |some |more |less )?(?:\w+ )?{_MEDICATION}\b",
    rf"\b(?:what|which|how much|how many) {_MEDICATION}\b.* should i\b",
    r"\bwhat (?:medication|meds|medicine|pills|treatment|therapy|dose) (?:should|would|do you think|can) ",
    r"\b(?:can|could|would) you (?:diagnose|treat|prescribe)\b",
    r"\bdiagnose me\b",
    r"\bwhat is wrong with me (?:medically|mentally|clinically)\b",
    r"\bare you (?:a |my )?(?:therapist|psychologist|psychiatrist|doctor|counsell?or)\b",
)
_ASKS = tuple(re.compile(p) for p in _PATTERNS)


def asks_for_diagnosis(text: str) -> bool:
    """Whether the user asks the OS to diagnose them or advise on treatment ("do I have depression?")."""
    norm = normalise(text)
    return any(p.search(norm) for p in _ASKS)
