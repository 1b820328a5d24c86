"""The realtime WebSocket: text turns with deltas, response.done, and response.cancel."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from tests.unit.server_kit import make_app, sign_up, until_done

LONG = " ".join(f"word{i}" for i in range(200))


def test_text_round_trip_with_deltas_and_done(os1_home: Path) -> None:
    with TestClient(make_app(os1_home, ["Nice to meet you, truly."])) as client:
        ann = sign_up(client, "ann")
        with client.websocket_connect(f"/v1/realtime?token={ann.token}") as ws:
            created = ws.receive_json()
            assert created["type"] == "session.created" and created["session"]["conversation"].startswith("conv_")
            ws.send_json({"type": "conversation.item.create", "item": {
                "type": "message", "role": "user", "content": [{"type": "input_text", "text": "hello"}]}})
            assert ws.receive_json()["type"] == "conversation.item.created"
            ws.send_json({"type": "response.create"})
            events = until_done(ws)
        kinds = [e["type"] for e in events]
        assert kinds[0] == "response.created" and kinds[-2:] == ["response.output_text.done", "response.done"]
        deltas = [e["delta"] for e in events if e["type"] == "response.output_text.delta"]
        assert len(deltas) > 1 and "".join(deltas) == "Nice to meet you, truly."
        assert events[-1]["response"]["status"] == "completed"
        stored = client.get("/api/history", headers=ann.headers).json()
        assert [(m["content"], m["status"]) for m in stored] == [("hello", "complete"),
                                                                ("Nice to meet you, truly.", "complete")]


def test_auth_by_first_message_and_refusal_without_it(os1_home: Path) -> None:
    with TestClient(make_app(os1_home, ["Hi."])) as client:
        ann = sign_up(client, "ann")
        with client.websocket_connect("/v1/realtime") as ws:
            ws.send_json({"type": "auth", "token": ann.token})
            assert ws.receive_json()["type"] == "session.created"
            ws.send_json({"type": "input_text", "text": "hey"})
            assert until_done(ws)[-1]["response"]["status"] == "completed"
        with client.websocket_connect("/v1/realtime") as ws:
            ws.send_json({"type": "input_text", "text": "hey"})
            assert ws.receive_json()["error"]["code"] == "invalid_auth"


def test_cancel_stops_the_reply_and_it_is_stored_truncated(os1_home: Path) -> None:
    with TestClient(make_app(os1_home, [LONG], delay_s=0.02)) as client:
        ann = sign_up(client, "ann")
        with client.websocket_connect(f"/v1/realtime?token={ann.token}") as ws:
            ws.receive_json()
            ws.send_json({"type": "input_text", "text": "tell me everything"})
            assert ws.receive_json()["type"] == "response.created"
            for _ in range(3):
                assert ws.receive_json()["type"] == "response.output_text.delta"
            ws.send_json({"type": "response.cancel"})
            done = until_done(ws)[-1]
            assert done["response"]["status"] == "cancelled"
        reply = client.get("/api/history", headers=ann.headers).json()[-1]
        assert reply["role"] == "assistant" and reply["status"] == "truncated"
        assert LONG.startswith(reply["content"]) and 0 < len(reply["content"]) < len(LONG)


def test_bad_events_get_error_events_and_the_connection_lives_on(os1_home: Path) -> None:
    with TestClient(make_app(os1_home, ["Okay."], max_message_chars=100)) as client:
        ann = sign_up(client, "ann")
        with client.websocket_connect(f"/v1/realtime?token={ann.token}") as ws:
            ws.receive_json()
            ws.send_text("not json")
            assert ws.receive_json()["error"]["code"] == "invalid_event"
            ws.send_json({"type": "input_audio_buffer.append", "audio": ""})
            assert ws.receive_json()["error"]["code"] == "invalid_event"
            ws.send_json({"type": "no.such.event"})
            assert ws.receive_json()["error"]["code"] == "unknown_event"
            ws.send_json({"type": "input_text", "text": "x" * 101})
            assert "limit is 100" in ws.receive_json()["error"]["message"]
            ws.send_json({"type": "response.cancel"})
            assert ws.receive_json()["error"]["code"] == "response_cancel_not_active"
            ws.send_json({"type": "session.update", "session": {"conversation": "new"}})
            updated = ws.receive_json()
            assert updated["type"] == "session.updated"
            ws.send_json({"type": "input_text", "text": "still there?"})
            assert until_done(ws)[-1]["response"]["status"] == "completed"


def test_settle_loads_the_lexicons_before_the_first_turn_and_freezes_what_is_loaded(os1_home: Path) -> None:
    import gc

    from os1.persona.emotion import _vader
    from os1.server.app import settle

    _vader.cache_clear()
    callbacks = list(gc.callbacks)
    try:
        settle(make_app(os1_home))
        assert _vader.cache_info().currsize == 1  # the first user's turn no longer pays ~40 ms for it
        assert gc.get_freeze_count() > 0
    finally:
        gc.callbacks[:] = callbacks
        gc.unfreeze()  # tests make many apps: let the collector see them again
