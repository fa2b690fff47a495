"""Shared data for the products' scientific tests (no Django needed)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest
import seismostats

# the repository root, so that `products` imports without the Django test settings
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(scope="session")
def sed_catalog() -> dict[str, np.ndarray]:
    """The 1,924-event Swiss (SED 2023) catalog bundled with seismostats."""
    path = Path(seismostats.__file__).parent / "analysis/tests/data/catalog_sed.csv"
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    return {
        "magnitudes": np.array([float(r["magnitude"]) for r in rows]),
        "times": np.array([r["time"] for r in rows], dtype="datetime64[us]"),
        "lat": np.array([float(r["latitude"]) for r in rows]),
        "lon": np.array([float(r["longitude"]) for r in rows]),
    }


# --- engine fixtures (Django) ----------------------------------------------------------


@pytest.fixture
def make_events():
    """``make_events(bureau, n, seed=..., published=True, **overrides)`` → stored catalog events.

    Gutenberg-Richter magnitudes (b = 1 above 1.95, binned to 0.1) spread over
    a year inside JX's test jurisdiction (lat 26-29, lon 114-117).
    """
    from datetime import UTC, datetime, timedelta

    from django.contrib.gis.geos import Point

    from catalog.models import Event

    def make(
        bureau,
        n,
        *,
        seed=1,
        published=True,
        start=None,
        mags=None,
        lat=None,
        lon=None,
        prefix="ev",
        days=365.0,
        times=None,
    ):
        rng = np.random.default_rng(seed)
        start = start or datetime(2025, 1, 1, tzinfo=UTC)
        mags = mags if mags is not None else np.round(1.95 + rng.exponential(1 / np.log(10), n), 1)
        lats = lat if lat is not None else rng.uniform(26.0, 29.0, n)
        lons = lon if lon is not None else rng.uniform(114.0, 117.0, n)
        offsets = times if times is not None else np.sort(rng.uniform(0, days, n))
        rows = []
        for i in range(n):
            la, lo = float(np.broadcast_to(lats, (n,))[i]), float(np.broadcast_to(lons, (n,))[i])
            rows.append(
                Event(
                    bureau=bureau,
                    public_id=f"{prefix}{seed}-{i}",
                    origin_time=start + timedelta(days=float(offsets[i])),
                    latitude=la,
                    longitude=lo,
                    location=Point(lo, la, srid=4326),
                    depth_km=float(rng.uniform(5, 15)),
                    magnitude=float(mags[i]),
                    magnitude_type="ML",
                    status="reviewed",
                    report_kind="catalog",
                    is_published=published,
                )
            )
        return Event.objects.bulk_create(rows, batch_size=2000)

    return make
