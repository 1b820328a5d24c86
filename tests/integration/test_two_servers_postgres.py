"""Two OS1 servers sharing one PostgreSQL serve the same user consistently.

Each server is a separate app with its own engine, store and connection pool, run by its own test client
(each client runs its app on its own event loop thread): the same isolation two `os1 serve` processes have
towards the database. A user signs up on one, logs in on the other, and sees on each what was said on
the other; another user sees none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.integration.pg_kit import fresh_database, start_postgres
from tests.unit.server_kit import PASSWORD, Account, chat, make_app, sign_up


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[Any]:
    server = start_postgres()
    yield server
    server.cleanup()


def _log_in(client: TestClient, account: Account) -> Account:
    login = client.post("/api/login", json={"username": account.username, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return Account(account.username, login.json()["token"], account.user_id)


def _history(client: TestClient, account: Account) -> list[str]:
    got = client.get("/api/history", headers=account.headers)
    assert got.status_code == 200, got.text
    return [m["content"] for m in got.json()]


def test_two_servers_on_one_postgres_serve_the_same_user(postgres_server: Any, tmp_path: Path) -> None:
    url = fresh_database(postgres_server)
    app_one = make_app(tmp_path / "one", ["Hello from one."], database_url=url)
    app_two = make_app(tmp_path / "two", ["Hello from two."], database_url=url)
    with TestClient(app_one) as one, TestClient(app_two) as two:
        ana_on_one = sign_up(one, "ana")
        ana_on_two = _log_in(two, ana_on_one)  # the account made on one is known to two
        assert chat(one, ana_on_one, "my sister plays the cello") == "Hello from one."
        assert _history(two, ana_on_two) == ["my sister plays the cello", "Hello from one."]
        assert chat(two, ana_on_two, "and I play the drums") == "Hello from two."
        assert _history(one, ana_on_one)[-2:] == ["and I play the drums", "Hello from two."]
        bob = sign_up(two, "bob")
        assert _history(one, _log_in(one, bob)) == [] and _history(two, bob) == []
