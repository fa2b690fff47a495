"""Synthetic data for the products' scientific tests."""

from __future__ import annotations

import numpy as np


def gr_magnitudes(n: int, b: float, m_low: float, seed: int) -> np.ndarray:
    """Continuous Gutenberg-Richter magnitudes above ``m_low`` (exponential)."""
    rng = np.random.default_rng(seed)
    return m_low + rng.exponential(1.0 / (b * np.log(10.0)), n)
