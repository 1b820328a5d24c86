"""SQLite implementation of the affect repository: emotion readings of messages, and the OS's mood over time.

Every statement filters on user_id. A reading can only be attached to one of the user's own messages.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from os1.core.affect import AffectReading, Emotion, Mood, Speaker
from os1.core.errors import NotFoundError
from os1.core.ids import new_id
from os1.storage.sqlite.util import dt, ts

_READING_COLUMNS = "id, user_id, message_id, speaker, valence, arousal, emotions, created_at"


def _reading(row: Sequence[object]) -> AffectReading:
    emotion = Emotion(float(str(row[4])), float(str(row[5])), json.loads(str(row[6])))
    return AffectReading(str(row[0]), str(row[1]), str(row[2]), Speaker(str(row[3])), emotion, dt(str(row[7])))


class SQLiteAffect:
    def __init__(self, con: sqlite3.Connection) -> None:
        self.con = con

    async def add(
        self, user_id: str, message_id: str, speaker: Speaker, emotion: Emotion, at: datetime
    ) -> AffectReading:
        reading = AffectReading(new_id("aff"), user_id, message_id, speaker, emotion, at)
        cur = self.con.execute(
            f"INSERT INTO affect_readings ({_READING_COLUMNS}) "
            "SELECT ?, user_id, id, ?, ?, ?, ?, ? FROM messages WHERE id = ? AND user_id = ? "
            "ON CONFLICT(message_id, speaker) DO UPDATE SET valence = excluded.valence, "
            "arousal = excluded.arousal, emotions = excluded.emotions",
            (reading.id, speaker.value, emotion.valence, emotion.arousal, json.dumps(dict(emotion.emotions)),
             ts(at), message_id, user_id),
        )
        if cur.rowcount != 1:
            raise NotFoundError(f"no message {message_id} for this user", "read the emotion of a stored message")
        return reading

    async def reading(self, user_id: str, message_id: str, speaker: Speaker) -> AffectReading | None:
        row = self.con.execute(
            f"SELECT {_READING_COLUMNS} FROM affect_readings WHERE user_id = ? AND message_id = ? AND speaker = ?",
            (user_id, message_id, speaker.value),
        ).fetchone()
        return _reading(row) if row else None

    async def readings(
        self, user_id: str, since: datetime | None = None, speaker: Speaker | None = None
    ) -> list[AffectReading]:
        rows = self.con.execute(
            f"SELECT {_READING_COLUMNS} FROM affect_readings WHERE user_id = ? AND created_at >= ? "
            "AND (? IS NULL OR speaker = ?) ORDER BY created_at, id",
            (user_id, ts(since) if since else "", speaker, speaker),
        ).fetchall()
        return [_reading(r) for r in rows]

    async def save_mood(self, user_id: str, mood: Mood) -> None:
        self.con.execute(
            "INSERT INTO os_moods (id, user_id, valence, arousal, created_at) VALUES (?, ?, ?, ?, ?)",
            (new_id("mood"), user_id, mood.valence, mood.arousal, ts(mood.at)),
        )

    async def mood(self, user_id: str) -> Mood | None:
        row = self.con.execute(
            "SELECT valence, arousal, created_at FROM os_moods WHERE user_id = ? ORDER BY created_at DESC, id DESC "
            "LIMIT 1",
            (user_id,),
        ).fetchone()
        return Mood(float(row[0]), float(row[1]), dt(row[2])) if row else None

    async def moods(self, user_id: str, since: datetime | None = None) -> list[Mood]:
        rows = self.con.execute(
            "SELECT valence, arousal, created_at FROM os_moods WHERE user_id = ? AND created_at >= ? "
            "ORDER BY created_at, id",
            (user_id, ts(since) if since else ""),
        ).fetchall()
        return [Mood(float(r[0]), float(r[1]), dt(r[2])) for r in rows]
