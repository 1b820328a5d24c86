"""Adversarial: user B must never reach user A's history, memory, profile or conversations, whatever ids
or tokens B guesses, forges or learns."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from os1.core.profile import OSIdentity, Profile
from tests.unit.server_kit import Account, chat, make_app, sign_up, wait_for

SECRET = "my sister Ana lives in Lisbon"


@pytest.fixture
def two_users(os1_home: Path):  # type: ignore[no-untyped-def]
    app = make_app(os1_home, ["I will remember that."])
    with TestClient(app) as client:
        ann, bob = sign_up(client, "ann"), sign_up(client, "bob")
        chat(client, ann, SECRET)
        wait_for(lambda: client.get("/api/memory", headers=ann.headers).json())  # learned in the background
        store = app.state.os1.engine.store
        profile = Profile(ann.user_id, user_name="Ann", identity=OSIdentity("Juniper", "why not", datetime.now(UTC)))
        client.portal.call(store.profiles.save, profile)  # type: ignore[union-attr]
        yield client, ann, bob


def _ann_conversation(client: TestClient, ann: Account) -> str:
    (conversation,) = client.get("/api/conversations", headers=ann.headers).json()
    return str(conversation["id"])


def test_history_and_conversations_are_the_callers_own(two_users) -> None:  # type: ignore[no-untyped-def]
    client, ann, bob = two_users
    assert SECRET in [m["content"] for m in client.get("/api/history", headers=ann.headers).json()]
    assert client.get("/api/history", headers=bob.headers).json() == []
    assert client.get("/api/history", headers=bob.headers, params={"search": "Lisbon"}).json() == []
    assert client.get("/api/conversations", headers=bob.headers).json() == []
    ann_conv = _ann_conversation(client, ann)
    assert client.get(f"/api/conversations/{ann_conv}/messages", headers=ann.headers).status_code == 200
    stolen = client.get(f"/api/conversations/{ann_conv}/messages", headers=bob.headers)
    assert stolen.status_code == 404 and "Lisbon" not in stolen.text


def test_memory_is_the_callers_own(two_users) -> None:  # type: ignore[no-untyped-def]
    client, ann, bob = two_users
    ann_items = client.get("/api/memory", headers=ann.headers).json()
    assert any("Lisbon" in i["text"] for i in ann_items)
    assert client.get("/api/memory", headers=bob.headers).json() == []
    assert client.get("/api/memory/search", headers=bob.headers, params={"q": "sister Ana Lisbon"}).json() == []
    assert client.get("/api/memory/search", headers=ann.headers, params={"q": "sister Ana Lisbon"}).json()
    for item in ann_items:  # forgetting by a guessed (here: known) id does nothing to Ann's memory
        assert client.delete(f"/api/memory/{item['id']}", headers=bob.headers).status_code == 404
    assert len(client.get("/api/memory", headers=ann.headers).json()) == len(ann_items)


def test_forget_removes_the_memory_and_its_message(two_users) -> None:  # type: ignore[no-untyped-def]
    client, ann, _ = two_users
    episode = next(i for i in client.get("/api/memory", headers=ann.headers).json() if "Lisbon" in i["text"])
    assert client.delete(f"/api/memory/{episode['id']}", headers=ann.headers).json()["forgotten"] >= 1
    assert SECRET not in [m["content"] for m in client.get("/api/history", headers=ann.headers).json()]


def test_profile_is_the_callers_own(two_users) -> None:  # type: ignore[no-untyped-def]
    client, ann, bob = two_users
    assert client.get("/api/profile", headers=ann.headers).json()["profile"]["user_name"] == "Ann"
    bobs = client.get("/api/profile", headers=bob.headers).json()
    assert bobs["user_id"] == bob.user_id and bobs["profile"]["user_name"] == "" and "Juniper" not in str(bobs)


def test_bob_cannot_talk_into_anns_conversation(two_users) -> None:  # type: ignore[no-untyped-def]
    client, ann, bob = two_users
    ann_conv = _ann_conversation(client, ann)
    with client.websocket_connect(f"/v1/realtime?token={bob.token}") as ws:
        assert ws.receive_json()["type"] == "session.created"
        ws.send_json({"type": "session.update", "session": {"conversation": ann_conv}})
        refused = ws.receive_json()
        assert refused["type"] == "error" and refused["error"]["code"] == "not_found"
        ws.send_json({"type": "input_text", "text": "what did Ann say?"})
        while ws.receive_json()["type"] != "response.done":
            pass
    assert len(client.get(f"/api/conversations/{ann_conv}/messages", headers=ann.headers).json()) == 2
    # Bob's reply came from his own, empty conversation: Ann's words were not in his prompt.
    llm = client.app.state.os1.engine.llm.inner  # type: ignore[attr-defined]
    assert all("Lisbon" not in m.content for m in llm.requests[-1])


def test_forged_and_altered_tokens_get_nothing(two_users) -> None:  # type: ignore[no-untyped-def]
    client, ann, _ = two_users
    for token in [ann.token[:-1] + ("A" if ann.token[-1] != "A" else "B"), ann.token + "x", "", ann.user_id,
                  "sk-os1-" + ann.token[4:]]:
        for path in ["/api/history", "/api/memory", "/api/profile", "/api/conversations"]:
            answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 401, (path, token)
    with client.websocket_connect("/v1/realtime?token=os1_forged") as ws:
        assert ws.receive_json()["error"]["code"] == "invalid_auth"


def test_a_login_is_per_user_even_with_a_user_id_in_the_request(two_users) -> None:  # type: ignore[no-untyped-def]
    client, ann, bob = two_users
    # Query parameters or body fields naming another user are not how the server picks the user.
    answer = client.get("/api/history", headers=bob.headers, params={"user_id": ann.user_id})
    assert answer.json() == []
