"""The user changes their own profile from the page's settings: only theirs, validated, and the OS's very
next reply follows it."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from os1.server import create_app
from os1.testing import ScriptedLLM
from tests.unit.server_kit import chat, settings_for, sign_up


def test_a_profile_change_is_the_callers_own_and_the_next_reply_follows_it(os1_home: Path) -> None:
    llm = ScriptedLLM(["Of course."])
    with TestClient(create_app(settings_for(os1_home), llm=llm)) as client:
        ann, bob = sign_up(client, "ann"), sign_up(client, "bob")
        chat(client, ann, "Hello!")  # her Session is live: the change must reach it, not only the database
        change = {"user_name": "  Annie ", "address_style": "gently, no jargon", "voice": "feminine"}
        changed = client.patch("/api/profile", headers=ann.headers, json=change)
        assert changed.status_code == 200, changed.text
        profile = changed.json()["profile"]
        assert (profile["user_name"], profile["voice"], profile["sociability"]) == ("Annie", "feminine", "in between")
        assert client.get("/api/profile", headers=ann.headers).json()["profile"]["user_name"] == "Annie"
        assert client.get("/api/profile", headers=bob.headers).json()["profile"]["user_name"] == ""
        chat(client, ann, "How are you?")
        system = llm.requests[-1][0].content
        assert "Annie" in system and "gently, no jargon" in system


def test_a_bad_profile_change_is_refused_and_changes_nothing(os1_home: Path) -> None:
    with TestClient(create_app(settings_for(os1_home), llm=ScriptedLLM(["Hi."]))) as client:
        ann = sign_up(client, "ann")
        for bad in [{"voice": "robot"}, {"user_name": "x" * 81}, {"identity": {"name": "Mine"}}, {"user_name": 7}]:
            refused = client.patch("/api/profile", headers=ann.headers, json=bad)
            assert refused.status_code == 422, (bad, refused.text)
        assert client.patch("/api/profile", json={"user_name": "Eve"}).status_code == 401
        assert client.get("/api/profile", headers=ann.headers).json()["profile"]["user_name"] == ""
