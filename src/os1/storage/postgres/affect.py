"""PostgreSQL affect repository: emotion readings of messages, and the OS's mood over time.

Every statement filters on user_id. A reading can only be attached to one of the user's own messages.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from os1.core.affect import AffectReading, Emotion, Mood, Speaker
from os1.core.errors import NotFoundError
from os1.core.ids import new_id
from os1.storage.postgres.pool import Database

_READING_COLUMNS = "id, user_id, message_id, speaker, valence, arousal, emotions, created_at"


def _reading(row: Sequence[object]) -> AffectReading:
    emotion = Emotion(float(str(row[4])), float(str(row[5])), json.loads(str(row[6])))
    return AffectReading(str(row[0]), str(row[1]), str(row[2]), Speaker(str(row[3])), emotion,
                         row[7])  # type: ignore[arg-type]


def _mood(row: Sequence[object]) -> Mood:
    return Mood(float(str(row[0])), float(str(row[1])), row[2])  # type: ignore[arg-type]


class PostgresAffect:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, user_id: str, message_id: str, speaker: Speaker, emotion: Emotion, at: datetime
    ) -> AffectReading:
        reading = AffectReading(new_id("aff"), user_id, message_id, speaker, emotion, at)
        async with self.db.transaction() as con:
            cur = await con.execute(
                f"INSERT INTO affect_readings ({_READING_COLUMNS}) "
                "SELECT %s, user_id, id, %s, %s, %s, %s, %s FROM messages WHERE id = %s AND user_id = %s "
                "ON CONFLICT (message_id, speaker) DO UPDATE SET valence = excluded.valence, "
                "arousal = excluded.arousal, emotions = excluded.emotions",
                (reading.id, speaker.value, emotion.valence, emotion.arousal, json.dumps(dict(emotion.emotions)),
                 at, message_id, user_id),
            )
        if cur.rowcount != 1:
            raise NotFoundError(f"no message {message_id} for this user", "read the emotion of a stored message")
        return reading

    async def reading(self, user_id: str, message_id: str, speaker: Speaker) -> AffectReading | None:
        async with self.db.transaction() as con:
            cur = await con.execute(
                f"SELECT {_READING_COLUMNS} FROM affect_readings WHERE user_id = %s AND message_id = %s "
                "AND speaker = %s",
                (user_id, message_id, speaker.value),
            )
            row = await cur.fetchone()
        return _reading(row) if row else None

    async def readings(
        self, user_id: str, since: datetime | None = None, speaker: Speaker | None = None
    ) -> list[AffectReading]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                f"SELECT {_READING_COLUMNS} FROM affect_readings WHERE user_id = %s "
                "AND (%s::timestamptz IS NULL OR created_at >= %s) AND (%s::text IS NULL OR speaker = %s) "
                "ORDER BY created_at, id",
                (user_id, since, since, speaker and speaker.value, speaker and speaker.value),
            )
            rows = await cur.fetchall()
        return [_reading(r) for r in rows]

    async def save_mood(self, user_id: str, mood: Mood) -> None:
        async with self.db.transaction() as con:
            await con.execute(
                "INSERT INTO os_moods (id, user_id, valence, arousal, created_at) VALUES (%s, %s, %s, %s, %s)",
                (new_id("mood"), user_id, mood.valence, mood.arousal, mood.at),
            )

    async def mood(self, user_id: str) -> Mood | None:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT valence, arousal, created_at FROM os_moods WHERE user_id = %s "
                "ORDER BY created_at DESC, id DESC LIMIT 1",
                (user_id,),
            )
            row = await cur.fetchone()
        return _mood(row) if row else None

    async def moods(self, user_id: str, since: datetime | None = None) -> list[Mood]:
        async with self.db.transaction() as con:
            cur = await con.execute(
                "SELECT valence, arousal, created_at FROM os_moods WHERE user_id = %s "
                "AND (%s::timestamptz IS NULL OR created_at >= %s) ORDER BY created_at, id",
                (user_id, since, since),
            )
            rows = await cur.fetchall()
        return [_mood(r) for r in rows]
