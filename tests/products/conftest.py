"""Shared data for the products' scientific tests (no Django needed)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

# the repository root, so that `products` imports without the Django test settings
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _sed_path() -> Path | None:
    try:
        import seismostats
    except ImportError:  # pragma: no cover
        return None
    path = Path(seismostats.__file__).parent / "analysis/tests/data/catalog_sed.csv"
    return path if path.exists() else None


@pytest.fixture(scope="session")
def sed_catalog() -> dict[str, np.ndarray]:
    """The 1,924-event Swiss (SED 2023) catalog bundled with seismostats."""
    path = _sed_path()
    if path is None:
        pytest.skip("seismostats' catalog_sed.csv is not installed")
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    return {
        "magnitudes": np.array([float(r["magnitude"]) for r in rows]),
        "times": np.array([r["time"] for r in rows], dtype="datetime64[us]"),
        "lat": np.array([float(r["latitude"]) for r in rows]),
        "lon": np.array([float(r["longitude"]) for r in rows]),
    }
