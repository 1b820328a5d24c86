"""Bounded schemathesis fuzzing of the REST API against its own OpenAPI spec (/openapi.json).

Every operation in the spec gets a fixed number of generated requests, made as a registered user; each
answer must not be a 5xx, must use a documented status code and content type, and must match the declared
schema. Derandomized, so a failure reproduces in CI.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from os1.server.ratelimit import RateLimiter
from tests.unit.server_kit import Account, make_app, sign_up

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def app_and_user(tmp_path_factory: pytest.TempPathFactory) -> tuple[FastAPI, Account]:
    # A generous login limiter: the fuzzer registers and logs in far more than 5 times a minute.
    app = make_app(tmp_path_factory.mktemp("fuzz") / "os1-home", ["A short scripted reply."],
                   limiter=RateLimiter(capacity=1_000_000))
    # No `with`: that would run the app's shutdown, and schemathesis starts the app's lifespan itself.
    return app, sign_up(TestClient(app), "fuzzer")


@pytest.fixture
def api_schema(app_and_user: tuple[FastAPI, Account]) -> schemathesis.BaseSchema:
    app, _ = app_and_user
    # Logging out would revoke the token every later request uses.
    return schemathesis.openapi.from_asgi("/openapi.json", app).exclude(path="/api/logout")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_api_conforms_to_its_spec(api_schema: schemathesis.BaseSchema, app_and_user: tuple[FastAPI, Account],
                                  mode: GenerationMode) -> None:
    headers = app_and_user[1].headers
    failures: list[str] = []
    for result in api_schema.get_all_operations():
        assert isinstance(result, Ok), result  # the spec itself is invalid
        operation = result.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=25, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Unsatisfiable:  # negative mode: an operation without parameters has nothing to break
            assert mode is GenerationMode.NEGATIVE, operation.label
        except (Exception, BaseExceptionGroup) as exc:  # every operation is tried, then all failures reported
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)
