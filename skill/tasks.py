"""Celery tasks of the forecast-skill test: the daily scoring of every bureau and a bureau's
recompute on demand. Ids in, one service call, idempotent (a score is replaced, not added)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation

from . import services

TIME_LIMIT = 30 * 60
SOFT_TIME_LIMIT = 28 * 60


@shared_task(name="skill.score_all", time_limit=TIME_LIMIT, soft_time_limit=SOFT_TIME_LIMIT)
def skill_score_all_task() -> dict[str, int]:
    """The daily beat job "skill: score observations": every active bureau's channels."""
    return services.score_all_bureaus()


@shared_task(name="skill.recompute", time_limit=TIME_LIMIT, soft_time_limit=SOFT_TIME_LIMIT)
def skill_recompute_task(*, bureau_id: int, user_id: int | None = None) -> int:
    """One bureau's scores now, asked for by a person, who is told when they are ready."""
    with translation.override(settings.LANGUAGE_CODE):  # messages are stored in the portal's language
        return services.recompute_for(bureau_id=bureau_id, user_id=user_id)
