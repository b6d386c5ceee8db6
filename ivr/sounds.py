"""Sounds the browser phone plays without any file to ship: hold music and a short message.

Both are generated once per process as 8 kHz mono 16-bit WAV (what a phone line carries),
with the standard library's `wave`: a few bars of a calm arpeggio for the queue, and a
three-second "voice" (a tone that rises and falls like speech) the simulated caller leaves
after the beep.
"""

from __future__ import annotations

import io
import math
import struct
import wave
from functools import cache

RATE = 8000  # samples per second, a phone line's
MESSAGE_SECONDS = 3

# A minor arpeggio, one note every half second, then the same a fourth higher.
_HOLD_NOTES = (220.0, 261.63, 329.63, 261.63, 293.66, 349.23, 440.0, 349.23)


def _wav(samples: list[float]) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(b"".join(struct.pack("<h", int(s * 12000)) for s in samples))
    return buffer.getvalue()


def _note(frequency: float, seconds: float) -> list[float]:
    count = int(RATE * seconds)
    fade = int(RATE * 0.05)
    notes = []
    for n in range(count):
        envelope = min(1.0, n / fade, (count - n) / fade)
        notes.append(envelope * math.sin(2 * math.pi * frequency * n / RATE))
    return notes


@cache
def hold_music() -> bytes:
    """Return four seconds of hold music as WAV (the page loops it)."""
    samples: list[float] = []
    for frequency in _HOLD_NOTES:
        samples += _note(frequency, 0.5)
    return _wav(samples)


@cache
def message() -> bytes:
    """Return the caller's short recorded message as WAV: a voice-like tone of three seconds."""
    samples = []
    for n in range(RATE * MESSAGE_SECONDS):
        t = n / RATE
        pitch = 180 + 40 * math.sin(2 * math.pi * 0.7 * t)  # intonation
        syllables = 0.5 + 0.5 * math.sin(2 * math.pi * 3.1 * t) ** 2  # words and pauses
        samples.append(0.8 * syllables * math.sin(2 * math.pi * pitch * t))
    return _wav(samples)
