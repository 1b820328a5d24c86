"""The web page (plain static files, no build step) and the small routes only it needs: how to log in,
the OS's mood, and the settings a user may want to see."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel

from os1.persona.mood import feeling, mood_at
from os1.server.auth import Caller
from os1.server.errors import COMMON_ERRORS
from os1.server.state import current_caller, state_of

router = APIRouter(prefix="/api", tags=["web page"], responses=COMMON_ERRORS)
CallerDep = Annotated[Caller, Depends(current_caller)]
STATIC = Path(str(files("os1.server") / "static"))
# The rates of audio over /v1/realtime (docs/protocol.md): Whisper and the VAD hear 16 kHz, hibari speaks 24.
INPUT_AUDIO_RATE = 16_000


class ServerInfo(BaseModel):
    auth: str  # "accounts", or "none": no login (loopback only)
    input_audio_rate: int
    max_message_chars: int


class MoodOut(BaseModel):
    feeling: str  # one word: cheerful, warm, calm, alert, subdued, worried
    valence: float
    arousal: float


class SettingsOut(BaseModel):
    settings: dict[str, Any]


@router.get("/server", response_model=ServerInfo)
async def server_info(request: Request) -> ServerInfo:
    """What a client needs before it logs in (no token needed)."""
    settings = state_of(request).settings
    return ServerInfo(auth=settings.server_auth, input_audio_rate=INPUT_AUDIO_RATE,
                      max_message_chars=settings.max_message_chars)


@router.get("/mood", response_model=MoodOut)
async def mood(caller: CallerDep, request: Request) -> MoodOut:
    """The OS's own mood toward the caller now (it drifts back to calm between talks)."""
    stored = await state_of(request).engine.store.affect.mood(caller.user_id)
    now = mood_at(stored, datetime.now(UTC))
    return MoodOut(feeling=feeling(now), valence=round(now.valence, 3), arousal=round(now.arousal, 3))


# The settings a user may care about; the rest (threads, paths, backends' URLs) are the operator's.
USER_FACING = ("memory", "voice_tts", "locale", "max_message_chars", "break_after_minutes", "endpoint_silence_ms",
               "barge_in_ms")


@router.get("/settings", response_model=SettingsOut)
async def settings(caller: CallerDep, request: Request) -> SettingsOut:
    """A read-only view: the server's settings are the operator's (`os1 config set`), shared by every user."""
    current = state_of(request).settings
    return SettingsOut(settings={key: getattr(current, key) for key in USER_FACING})


def install_page(app: FastAPI) -> None:
    """``/`` serves the page, ``/static/`` its scripts and styles (package data: no build, no CDN)."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html")
