"""Celery tasks of the danger zones: the year-end score (beat: 2 and 15 January, 06:00
Beijing time, the second run catching late catalog revisions; scoring again replaces)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import translation

from . import services


@shared_task(name="zones.score_year", time_limit=20 * 60, soft_time_limit=18 * 60)
def zones_score_year_task(year: int | None = None) -> dict[str, int]:
    with translation.override(settings.LANGUAGE_CODE):
        return services.zones_score_all(year=year)
