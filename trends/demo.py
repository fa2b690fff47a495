"""Demo data of the trends app (``seed_demo`` calls ``seed``): the briefs of JX."""

from __future__ import annotations

from typing import TextIO

from .brief_demo import seed as seed_briefs


def seed(stdout: TextIO | None = None) -> None:
    seed_briefs(stdout)
