"""Streamed audio: base64 chunks of raw PCM16 joined as bytes and saved as a playable WAV.

Chat Completions streams audio output as PCM16 whatever format was asked for (OpenAI's audio
guide: streaming supports ``pcm16`` only), mono at 24 kHz; the Responses ``response.audio.delta``
events carry the same. Each chunk is its own base64 text, so the chunks are decoded one by one
and their bytes joined: joined as text, only the first chunk would decode.
"""

from __future__ import annotations

import base64
import binascii
import io
import wave

SAMPLE_RATE = 24_000
CHANNELS = 1
SAMPLE_WIDTH = 2  # bytes: 16-bit little-endian
SOURCE = {"source_format": "pcm16", "sample_rate": SAMPLE_RATE, "channels": CHANNELS}


def decode_chunks(chunks: list[str]) -> tuple[bytes, int]:
    """The audio bytes of the chunks that decode, and how many did not."""
    data = bytearray()
    bad = 0
    for chunk in chunks:
        try:
            data += base64.b64decode(chunk, validate=False)
        except (binascii.Error, ValueError):
            bad += 1
    return bytes(data), bad


def wav_base64(chunks: list[str]) -> tuple[str, int]:
    """A WAV file (base64) holding the PCM16 chunks' samples, and how many chunks were bad."""
    pcm, bad = decode_chunks(chunks)
    if len(pcm) % SAMPLE_WIDTH:
        pcm = pcm[:-1]  # half a sample: a cut-off stream
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)
    return base64.b64encode(out.getvalue()).decode("ascii"), bad
