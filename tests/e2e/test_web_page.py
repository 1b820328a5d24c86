"""The web page in a real headless chromium against a real server: log in, talk by text with the reply
streaming in, change what the OS calls you, forget a memory; and hands-free voice through the fake
microphone."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("playwright", reason="playwright is missing: `pip install -e .[dev]`")
from playwright.sync_api import Page, expect

from tests.e2e.web_kit import browser_page, serving

REPLY = "Hello there, it is good to hear from you today."


def _register(page: Page, base: str, name: str = "ann") -> None:
    page.goto(base)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Create an account").click()
    expect(page.locator("#app")).to_be_visible()


def test_log_in_talk_by_text_and_forget_a_memory(os1_home: Path) -> None:
    with serving(os1_home, [REPLY]) as base, browser_page() as page:
        _register(page, base)
        expect(page.locator("#os-mood")).to_contain_text("feeling")
        page.get_by_label("Your message").fill("My sister Mia lives in Lisbon.")
        page.get_by_role("button", name="Send").click()
        reply = page.locator("#log li.assistant").last
        expect(reply).to_have_text(REPLY, timeout=15_000)
        page.get_by_role("tab", name="Settings").click()
        expect(page.locator("#settings")).to_contain_text("voice_tts")
        page.get_by_label("What should I call you?").fill("Annie")
        page.get_by_label("My voice").select_option("masculine")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#profile-status")).to_contain_text("Saved")
        page.reload()  # the change is the server's now, not the form's
        page.get_by_role("tab", name="Settings").click()
        expect(page.get_by_label("What should I call you?")).to_have_value("Annie")
        expect(page.get_by_label("My voice")).to_have_value("masculine")

        page.get_by_role("tab", name="Memory").click()
        page.get_by_placeholder("Search what I remember").fill("Lisbon")
        page.get_by_role("button", name="Search", exact=True).click()
        forget = page.get_by_role("button", name="Forget: My sister Mia lives in Lisbon.")
        expect(forget).to_be_visible(timeout=15_000)
        forget.click()
        forget.click()  # the second click confirms: forgetting is for good
        expect(page.locator("#status")).to_contain_text("forgotten")
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator("#memories")).to_contain_text("Nothing here.")


def test_local_mode_goes_straight_in(os1_home: Path) -> None:
    with serving(os1_home, ["Hi, you."], server_auth="none") as base, browser_page() as page:
        page.goto(base)
        expect(page.locator("#app")).to_be_visible()
        expect(page.locator("#login")).to_be_hidden()
        page.get_by_label("Your message").fill("hello")
        page.get_by_label("Your message").press("Enter")
        expect(page.locator("#log li.assistant").last).to_have_text("Hi, you.", timeout=15_000)


QUESTION = "What is the capital of France?"
ANSWER = "The capital of France is Paris. It is a beautiful city."


def _spoken_question(folder: Path) -> Path:
    """The fake microphone's file: the question in the hibari voice, then enough silence for the answer
    (chromium plays the file in a loop)."""
    pytest.importorskip("hibari")
    from os1.server.voice_ws import _shared_models
    from os1.voice.audio import SPEECH_RATE, concat, silence, write_wav
    from tests.unit.server_kit import settings_for

    _, tts = _shared_models(settings_for(folder / "home"))  # the server's own voice, loaded once
    spoken = asyncio.run(tts.synthesize(QUESTION)).at_rate(SPEECH_RATE)
    audio = concat([silence(0.5), spoken, silence(20)], SPEECH_RATE)
    assert np.abs(audio.samples).max() > 0.05  # a missing or silent file would fail without a word
    path = folder / "question.wav"
    write_wav(path, audio)
    return path


def test_hands_free_voice_through_the_fake_microphone(os1_home: Path, tmp_path: Path) -> None:
    wav = _spoken_question(tmp_path)
    with serving(os1_home, [ANSWER], server_auth="none") as base, \
            browser_page([f"--use-file-for-fake-audio-capture={wav}"]) as page:
        page.goto(base)
        expect(page.locator("#app")).to_be_visible()
        page.get_by_role("button", name="Talk").click()
        expect(page.get_by_role("button", name="Talk")).to_have_attribute("aria-pressed", "true")
        expect(page.locator("#log li.user").last).to_contain_text("capital of France", timeout=60_000)
        expect(page.locator("#log li.assistant").last).to_contain_text("Paris", timeout=30_000)
        page.wait_for_function("window.os1Audio && window.os1Audio.chunksPlayed > 5", timeout=30_000)
        assert page.evaluate("window.os1Audio.sentChunks") > 0
