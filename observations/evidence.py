"""Evidence of data (监测存证): the content hashes that show stored observations are what was
received.

At ingest every file gets the SHA-256 of its bytes and every stored channel-day the
SHA-256 of its canonical form (:func:`day_digest`); both go into the audit chain
(``portal.audit_chain``) with the write that stored them, and the day hashes also into
``SeriesDayEvidence`` (the current hash of each stored day, pointing at the chain record
that carries it). ``manage.py series_verify`` and the integrity page hash the stored days
again and list those that no longer match (``services/series_verify.py``).

The canonical form of a channel-day (version 1): the ASCII header line

    ispec-series-day/1 channel=<channel id> day=<YYYY-MM-DD> interval=<seconds> n=<samples a day>\\n

followed by the day's samples, element i being the sample at 00:00 UTC + i * interval, as
little-endian IEEE float32 (what PostgreSQL's ``real`` stores), every gap as the one quiet
NaN ``0x7fc00000``. The channel and the day are in the header, so a day's samples moved to
another day or channel no longer match either.

Pure numpy and hashlib, no Django.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import datetime as dt

DAY_FORMAT = "ispec-series-day/1"
CANONICAL_NAN = 0x7FC00000


def day_canonical(*, channel_id: int, day: dt.date, interval: int, values: np.ndarray) -> bytes:
    samples = np.ascontiguousarray(values, dtype="<f4")
    bits = samples.view("<u4").copy()
    bits[np.isnan(samples)] = CANONICAL_NAN
    header = f"{DAY_FORMAT} channel={channel_id} day={day.isoformat()} interval={interval} n={samples.size}\n"
    return header.encode("ascii") + bits.tobytes()


def day_digest(*, channel_id: int, day: dt.date, interval: int, values: np.ndarray) -> str:
    """SHA-256 (hex) of a channel-day's canonical form (see the module docstring)."""
    return hashlib.sha256(
        day_canonical(channel_id=channel_id, day=day, interval=interval, values=values)
    ).hexdigest()


def file_digest(data: bytes) -> str:
    """SHA-256 (hex) of a received file's bytes, as they arrived."""
    return hashlib.sha256(data).hexdigest()
