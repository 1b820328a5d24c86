"""Fakes that implement OS1's real interfaces, for fast unit tests. Shipped in the package so that
``OS1_LLM_BACKEND=scripted`` works in a real ``os1`` process too."""

from os1.testing.llm import ScriptedLLM
from os1.testing.voice import EnergyVAD, ScriptedSTT, ToneTTS, tone

__all__ = ["EnergyVAD", "ScriptedLLM", "ScriptedSTT", "ToneTTS", "tone"]
