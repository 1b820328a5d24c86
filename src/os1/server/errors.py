"""Every error the server answers is one line of JSON, in OpenAI's shape so its clients show it:
``{"error": {"message": "cause — fix", "type": "not_found", "code": null}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from os1.core.errors import (
    AuthError,
    BackendError,
    ConfigError,
    ConflictError,
    InputError,
    NotFoundError,
    OS1Error,
)

log = logging.getLogger(__name__)


class RateLimitedError(OS1Error):
    """Too many tries; ``retry_after`` is in seconds."""

    def __init__(self, cause: str, fix: str, retry_after: int) -> None:
        super().__init__(cause, fix)
        self.retry_after = retry_after


class ForbiddenError(OS1Error):
    """The credentials are valid but do not allow this (an API key managing API keys)."""


_STATUS: list[tuple[type[OS1Error], int, str]] = [
    (AuthError, 401, "invalid_auth"),
    (ForbiddenError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (RateLimitedError, 429, "rate_limited"),
    (InputError, 400, "invalid_request_error"),
    (ConfigError, 400, "invalid_request_error"),
    (BackendError, 502, "backend_error"),
]


class ErrorDetail(BaseModel):
    message: str
    type: str
    code: str | None = None


class ErrorOut(BaseModel):
    """The body of every error answer (documented in the spec, so clients and fuzzers can check it)."""

    error: ErrorDetail


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route or router: these statuses answer with ``ErrorOut``. Naming 422 replaces
    FastAPI's default validation-error schema, which is not the shape this server answers with."""
    return {status: {"model": ErrorOut} for status in statuses}


# What any route may answer: bad input (400, 422), and a missing or wrong token (401).
COMMON_ERRORS = documented(400, 401, 422)


def error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": None}}


def status_of(exc: OS1Error) -> tuple[int, str]:
    for cls, status, kind in _STATUS:
        if isinstance(exc, cls):
            return status, kind
    return 500, "server_error"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


async def _os1_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OS1Error)
    status, kind = status_of(exc)
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimitedError) else None
    if status == 401:  # RFC 6750: say how to authenticate
        headers = {"WWW-Authenticate": "Bearer"}
    return JSONResponse(error_body(_one_line(exc.one_line()), kind), status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    return JSONResponse(error_body(_one_line(exc.detail), "http_error"), exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in first.get("loc", ()))
    return JSONResponse(error_body(_one_line(f"{where}: {first.get('msg', 'invalid')}"), "invalid_request_error"), 422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(error_body(f"unexpected {type(exc).__name__} — see the server's log", "server_error"), 500)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(OS1Error, _os1_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
