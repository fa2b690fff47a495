"""Demo of subscriptions: the JX forecaster hears of M3+ quakes in Jiangxi by day and M4.5+ at
night, quiet from 23:00 to 06:30, in the app, with the special-topic reports, the monthly trend
report when issued and the fluid anomalies. Made once (found by its name)."""

from __future__ import annotations

from typing import Any

from portal.models import User
from portal.tenancy import actor_for

from .models import Subscription
from .services.subscriptions import subscription_create

NAME = "江西 M3+"


def seed(stdout: Any) -> None:
    user = User.objects.filter(username="jx_forecaster").first()
    actor = actor_for(user, "JX") if user else None
    if actor is None or Subscription.objects.filter(owner=user, name=NAME).exists():
        stdout.write("subscriptions: nothing to add\n")
        return
    subscription_create(
        actor=actor,
        data={
            "name": NAME,
            "region": {"bureau": "JX"},
            "min_magnitude": 3.0,
            "min_magnitude_night": 4.5,
            "quiet_hours": ["23:00", "06:30"],
            "products": ["quick_report", "topic_report", "trend_report_issued", "anomalies:fluid"],
            "channels": ["in_app"],
        },
    )
    stdout.write("subscriptions: 1 demo subscription\n")
