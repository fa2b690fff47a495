"""Demo data of recognition rules: JX's fluid rule "water level trend departure".

``trend_residual`` over every active water-level channel (item WL) of JX: the residual of
the daily means from the annual-cycle fit plus a 60-day running median, beyond 5 robust σ
for 5 days in a row, over the last 365 days. Tuned on the demo series
(``observations.series_demo``, 13 months ending on five dates a season apart, since the
seasonal wave follows the calendar): it finds the trend departure injected on JX's first
water level in the 40 days before the series end (one span, its last one to two weeks,
where the running median, one-sided at the end of the window, falls behind the growing
departure) and nothing on the clean channels or the clean part, the QC faults' step
included, above the level's answer to the weather (k 4 raised one false span). With the
tests' two-month demo series the method refuses the window (it needs 120 days with data):
the rule's page says so, nothing is reported. The rule runs once here
through the same service as the hourly job (its product runs executed in place), so an
automatic anomaly exists in the demo. Idempotent: the rule is found by name, and a second
evaluation of unchanged data reuses its runs and records nothing new.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from portal.models import Bureau, User

from . import selectors, services
from .models import RecognitionRule

RULE = {
    "name": "水位趋势异常（趋势残差）",
    "discipline": "fluid",
    "method": "trend_residual",
    # a year back, so the harmonic fit sees a whole annual cycle and does not bend to a
    # departure of the last weeks; k 5 over a 60-day running median stays above the level's
    # weather (the demo's -0.4 cm/hPa) on the clean wells, tried on series ending a season apart
    "params": {"trend": "moving", "window_days": 60, "k": 5.0, "min_days": 5},
    "item_code": "WL",
    "window_days": 365,
    "persist_days": 5,
}


def seed(stdout: Any) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        _seed(stdout)


def _seed(stdout: Any) -> None:
    from portal.tenancy import actor_for

    bureau = Bureau.objects.filter(code="JX").first()
    user = User.objects.filter(username="jx_expert_fluid").first()
    actor = actor_for(user, "JX") if bureau is not None and user is not None else None
    if actor is None:
        return
    rule = selectors.rule_list(actor=actor).filter(name=RULE["name"]).first()
    if rule is None:
        rule = services.rule_create(actor=actor, data=dict(RULE))
    if rule.state != RecognitionRule.State.ACTIVE:
        return
    summary = services.rule_evaluate(rule_id=rule.pk, only_changed=True)
    stdout.write(
        f"recognition JX: rule {rule.name!r}: {summary['channels']} channels evaluated, "
        f"{summary['created']} anomalies reported, {summary['extended']} extended\n"
    )
