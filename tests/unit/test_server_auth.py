"""Accounts, tokens, local mode and the hardening basics of `os1 serve`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from os1.core.errors import ConfigError
from os1.server import check_bind
from os1.server.ratelimit import RateLimiter
from tests.unit.server_kit import PASSWORD, MovableClock, chat, make_app, settings_for, sign_up


def test_register_login_and_me(os1_home: Path) -> None:
    with TestClient(make_app(os1_home)) as client:
        ann = sign_up(client, "ann")
        me = client.get("/api/me", headers=ann.headers)
        assert me.json() == {"user_id": ann.user_id, "username": "ann"}
        assert client.post("/api/accounts", json={"username": "ANN", "password": PASSWORD}).status_code == 409
        assert client.post("/api/accounts", json={"username": "local", "password": PASSWORD}).status_code == 400
        assert client.post("/api/accounts", json={"username": "bob", "password": "short"}).status_code == 400


def test_password_is_stored_as_argon2id_and_token_only_hashed(os1_home: Path) -> None:
    app = make_app(os1_home)
    with TestClient(app) as client:
        ann = sign_up(client, "ann")
        con = app.state.os1.engine.store.con
        (stored,) = con.execute("SELECT password_hash FROM accounts").fetchone()
        assert stored.startswith("$argon2id$") and PASSWORD not in stored
        hashes = [r[0] for r in con.execute("SELECT token_hash FROM auth_tokens")]
        assert ann.token not in hashes and len(hashes) == 1


def test_wrong_password_and_forged_token_are_refused_with_one_line_json(os1_home: Path) -> None:
    with TestClient(make_app(os1_home)) as client:
        ann = sign_up(client, "ann")
        wrong = client.post("/api/login", json={"username": "ann", "password": "not the password"})
        assert wrong.status_code == 401
        forged = client.get("/api/me", headers={"Authorization": "Bearer os1_" + "A" * 43})
        assert forged.status_code == 401
        assert "\n" not in forged.text and forged.json()["error"]["type"] == "invalid_auth"
        assert client.get("/api/me", headers={"Authorization": ann.token}).status_code == 401  # no "Bearer"


def test_login_token_expires(os1_home: Path) -> None:
    clock = MovableClock()
    with TestClient(make_app(os1_home, clock=clock, server_token_hours=1)) as client:
        ann = sign_up(client, "ann")
        assert client.get("/api/me", headers=ann.headers).status_code == 200
        clock.advance(timedelta(minutes=61))
        assert client.get("/api/me", headers=ann.headers).status_code == 401


def test_logout_revokes_the_token(os1_home: Path) -> None:
    with TestClient(make_app(os1_home)) as client:
        ann = sign_up(client, "ann")
        assert client.post("/api/logout", headers=ann.headers).status_code == 204
        assert client.get("/api/me", headers=ann.headers).status_code == 401


def test_login_is_rate_limited_per_name(os1_home: Path) -> None:
    limiter = RateLimiter(capacity=3, per_second=0.001)
    with TestClient(make_app(os1_home, limiter=limiter)) as client:
        sign_up(client, "ann")  # one login try spent
        codes = [client.post("/api/login", json={"username": "ann", "password": "guess" * 2}).status_code
                 for _ in range(3)]
        assert codes == [401, 401, 429]
        refused = client.post("/api/login", json={"username": "ann", "password": PASSWORD})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        # Another name from the same address has its own bucket.
        assert client.post("/api/login", json={"username": "bob", "password": PASSWORD}).status_code == 401


def test_api_keys_create_use_revoke(os1_home: Path) -> None:
    with TestClient(make_app(os1_home, ["Hi."])) as client:
        ann = sign_up(client, "ann")
        made = client.post("/api/keys", headers=ann.headers, json={"name": "laptop"}).json()
        key_headers = {"Authorization": f"Bearer {made['key']}"}
        assert made["key"].startswith("sk-os1-")
        listed = client.get("/api/keys", headers=ann.headers).json()
        assert [k["id"] for k in listed] == [made["id"]] and listed[0]["key"] is None
        ok = client.post("/v1/chat/completions", headers=key_headers,
                         json={"messages": [{"role": "user", "content": "hey"}]})
        assert ok.status_code == 200
        assert client.post("/api/keys", headers=key_headers, json={}).status_code == 403  # a key cannot mint keys
        assert client.delete(f"/api/keys/{made['id']}", headers=ann.headers).status_code == 204
        assert client.get("/v1/models", headers=key_headers).status_code == 401
        assert client.delete(f"/api/keys/{made['id']}", headers=ann.headers).status_code == 404


def test_local_mode_needs_no_login_on_loopback(os1_home: Path) -> None:
    with TestClient(make_app(os1_home, ["Hello, you."], server_auth="none")) as client:
        answer = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "hi"}]})
        assert answer.status_code == 200 and answer.json()["choices"][0]["message"]["content"] == "Hello, you."
        assert [m["content"] for m in client.get("/api/history").json()] == ["hi", "Hello, you."]


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "example.org"])
def test_local_mode_refuses_a_non_loopback_host(os1_home: Path, host: str) -> None:
    with pytest.raises(ConfigError, match="without login"):
        check_bind(host, settings_for(os1_home, server_auth="none"))
    check_bind(host, settings_for(os1_home))  # with accounts any address is allowed


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_local_mode_allows_loopback(os1_home: Path, host: str) -> None:
    check_bind(host, settings_for(os1_home, server_auth="none"))


def test_cors_is_closed_by_default_and_opens_for_named_origins(os1_home: Path) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    with TestClient(make_app(os1_home)) as client:
        assert "access-control-allow-origin" not in client.options("/api/login", headers=preflight).headers
        assert "access-control-allow-origin" not in client.get("/openapi.json", headers=preflight).headers
    with TestClient(make_app(os1_home, server_cors_origins="https://me.example")) as client:
        assert "access-control-allow-origin" not in client.get("/openapi.json", headers=preflight).headers
        mine = client.get("/openapi.json", headers={"Origin": "https://me.example"})
        assert mine.headers["access-control-allow-origin"] == "https://me.example"


def test_message_and_body_size_limits(os1_home: Path) -> None:
    with TestClient(make_app(os1_home, max_message_chars=100)) as client:
        ann = sign_up(client, "ann")
        long = client.post("/v1/chat/completions", headers=ann.headers,
                           json={"messages": [{"role": "user", "content": "x" * 101}]})
        assert long.status_code == 400 and "limit is 100" in long.json()["error"]["message"]
        assert client.get("/api/history", headers=ann.headers).json() == []  # nothing stored
        huge = client.post("/api/login", content=json.dumps({"username": "a" * (2 << 20)}),
                           headers={"Content-Type": "application/json"})
        assert huge.status_code == 413
        assert chat(client, ann, "x" * 100)


def test_openapi_spec_is_served(os1_home: Path) -> None:
    with TestClient(make_app(os1_home)) as client:
        spec = client.get("/openapi.json").json()
    assert {"/api/login", "/api/memory/search", "/v1/chat/completions", "/api/profile"} <= set(spec["paths"])


def test_openapi_spec_documents_the_error_answers(os1_home: Path) -> None:
    """The spec must describe what the server answers: its one-line error shape (not FastAPI's default
    validation-error schema) for 422, and the 4xx statuses a route can answer (found by fuzzing)."""
    with TestClient(make_app(os1_home)) as client:
        spec = client.get("/openapi.json").json()
        refused = client.post("/api/accounts", json={"username": "ann", "password": "short"})
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    register = spec["paths"]["/api/accounts"]["post"]["responses"]
    assert refused.status_code == 400 and set(refused.json()) == {"error"}
    for status in ("400", "409", "422", "429"):
        assert register[status]["content"]["application/json"]["schema"] == error_ref, status
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert "401" in spec["paths"]["/api/memory"]["get"]["responses"]
    assert "404" in spec["paths"]["/api/memory/{item_id}"]["delete"]["responses"]
