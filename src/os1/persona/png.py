"""Just enough PNG for character cards, with the standard library: a small avatar, and text chunks.

Cards travel as PNG images with the card's JSON (base64) in a ``tEXt`` chunk. Writing a PNG needs only
zlib and CRC-32, so OS1 does not depend on an imaging library for it. Reading accepts ``tEXt``, ``zTXt``
and ``iTXt`` chunks, as other card tools write all three.
"""

from __future__ import annotations

import hashlib
import math
import struct
import zlib
from collections.abc import Iterator, Mapping

SIGNATURE = b"\x89PNG\r\n\x1a\n"
AVATAR_SIZE = 192  # pixels a side: enough for an icon, and drawn in about 0.2 s in pure Python


class PNGError(ValueError):
    """The bytes are not a PNG this module can read."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def write_png(width: int, height: int, rows: list[bytes], texts: Mapping[str, str]) -> bytes:
    """An 8-bit RGB PNG from ``rows`` (3 bytes a pixel), with one ``tEXt`` chunk per (keyword, latin-1 text)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)  # filter type 0 (none) on every scanline
    parts = [SIGNATURE, _chunk(b"IHDR", header)]
    parts += [_chunk(b"tEXt", key.encode("latin-1") + b"\x00" + text.encode("latin-1")) for key, text in texts.items()]
    parts += [_chunk(b"IDAT", zlib.compress(raw, 9)), _chunk(b"IEND", b"")]
    return b"".join(parts)


def avatar(name: str, size: int = AVATAR_SIZE) -> list[bytes]:
    """A soft glowing orb on a warm background, its hue taken from the name: a face without a face."""
    digest = hashlib.sha256(name.lower().encode()).digest()
    hue = (digest[0] / 255.0) * 0.12 + 0.98  # reds to oranges, wrapping past 1.0
    core = _rgb(hue % 1.0, 0.75, 0.95)
    back = (250, 240, 228)
    rows = []
    centre, radius = (size - 1) / 2, size * 0.36
    for y in range(size):
        row = bytearray()
        for x in range(size):
            d = math.hypot(x - centre, y - centre) / radius
            glow = 1.0 if d <= 1 else max(0.0, 1.0 - (d - 1) * 2.5)  # edge fades out over 40% of the radius
            row += bytes(round(c * glow + b * (1 - glow)) for c, b in zip(core, back, strict=True))
        rows.append(bytes(row))
    return rows


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    r, g, b = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
    return round(r * 255), round(g * 255), round(b * 255)


def chunks(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, data) of each chunk; a truncated or foreign file is a PNGError."""
    if not data.startswith(SIGNATURE):
        raise PNGError("not a PNG file")
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        (length,), kind = struct.unpack(">I", data[pos:pos + 4]), data[pos + 4:pos + 8]
        end = pos + 8 + length
        if end + 4 > len(data):
            raise PNGError("the PNG file is truncated")
        yield kind, data[pos + 8:end]
        if kind == b"IEND":
            return
        pos = end + 4
    raise PNGError("the PNG file has no end")


def text_chunks(data: bytes) -> dict[str, str]:
    """keyword -> text of every text chunk (the first of each keyword wins)."""
    found: dict[str, str] = {}
    for kind, body in chunks(data):
        parsed = _text(kind, body)
        if parsed is not None:
            found.setdefault(*parsed)
    return found


def _text(kind: bytes, body: bytes) -> tuple[str, str] | None:
    key, sep, rest = body.partition(b"\x00")
    if not sep:
        return None
    try:
        if kind == b"tEXt":
            return key.decode("latin-1"), rest.decode("latin-1")
        if kind == b"zTXt":
            return key.decode("latin-1"), zlib.decompress(rest[1:]).decode("latin-1")
        if kind == b"iTXt":
            compressed, rest = rest[0], rest[2:]
            _lang, _, rest = rest.partition(b"\x00")
            _translated, _, text = rest.partition(b"\x00")
            return key.decode("latin-1"), (zlib.decompress(text) if compressed else text).decode("utf-8")
    except (zlib.error, UnicodeDecodeError, IndexError) as exc:
        raise PNGError(f"a text chunk of the PNG is damaged ({exc})") from exc
    return None
