"""The server's own turn overhead (server/turn_times.py): a ring of the most recent receipt-to-first-delta
times, filled by the realtime WebSocket and written out as the app stops (`os1 serve --stats`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from os1.server import create_app
from os1.server.turn_times import TurnTimes
from os1.testing import ScriptedLLM
from tests.unit.server_kit import make_app, settings_for, sign_up, until_done


def test_the_ring_keeps_the_last_values_oldest_first() -> None:
    times = TurnTimes(kept=3)
    assert times.values() == []
    times.add(1.0)
    times.add(2.0)
    assert times.values() == [1.0, 2.0]
    for ms in (3.0, 4.0, 5.0):
        times.add(ms)
    assert times.values() == [3.0, 4.0, 5.0]
    times.add(6.0)
    assert times.values() == [4.0, 5.0, 6.0]
    for ms in (7.0, 8.0, 9.0, 10.0):
        times.add(ms)
    assert times.values() == [8.0, 9.0, 10.0]


def test_write_gives_json_with_the_values_rounded(tmp_path: Path) -> None:
    times = TurnTimes(kept=2)
    for ms in (9.0, 1.23456, 250.5):
        times.add(ms)
    out = tmp_path / "stats.json"
    times.write(out)
    assert json.loads(out.read_text()) == {"turn_overhead_ms": [1.235, 250.5]}
    TurnTimes().write(out)
    assert json.loads(out.read_text()) == {"turn_overhead_ms": []}


def _turns(client: TestClient, *texts: str) -> list[dict[str, Any]]:
    ann = sign_up(client, "ann")
    events = []
    with client.websocket_connect(f"/v1/realtime?token={ann.token}") as ws:
        assert ws.receive_json()["type"] == "session.created"
        for text in texts:
            ws.send_json({"type": "input_text", "text": text})
            events += until_done(ws)
    return events


def test_each_text_turn_records_its_receipt_to_first_delta_time(os1_home: Path) -> None:
    app = make_app(os1_home, ["Hello there, friend."])
    with TestClient(app) as client:
        assert app.state.os1.turn_times.values() == []  # signing up and logging in are no turns
        events = _turns(client, "hi")
        assert events[-1]["response"]["status"] == "completed"
        assert sum(e["type"] == "response.output_text.delta" for e in events) > 1
        # One turn, one time, however many deltas it had.
        (ms,) = app.state.os1.turn_times.values()
        assert 0 < ms < 60_000


def test_the_time_runs_until_the_first_delta_is_sent(os1_home: Path) -> None:
    app = make_app(os1_home, ["Hello there, friend."], delay_s=0.1)  # the model waits 100 ms before each word
    with TestClient(app) as client:
        _turns(client, "hi", "how are you?")
        times = app.state.os1.turn_times.values()
    assert len(times) == 2
    assert all(ms >= 90 for ms in times)


def test_the_stats_file_is_written_as_the_app_stops(os1_home: Path, tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    app = create_app(settings_for(os1_home), llm=ScriptedLLM(["Hello there, friend."]), stats=stats)
    with TestClient(app) as client:
        _turns(client, "hi")
        assert not stats.exists()
    (ms,) = json.loads(stats.read_text())["turn_overhead_ms"]
    assert ms > 0
