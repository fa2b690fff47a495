"""Celery tasks of recognition rules: evaluate one rule, and the hourly job over new data.

Tasks take ids, re-fetch and call one service; evaluating again changes nothing that is
already recorded (``services.rule_evaluate``). An evaluation has no status row of its own:
each channel's product run is a ``products.run`` job (guarded, swept by the watchdog) and
the outcome per channel is stored on the rule (``RuleChannelState``: time, run, error),
shown on the rule's page.
"""

from __future__ import annotations

from celery import shared_task

from .services import SOFT_TIME_LIMIT, TIME_LIMIT, rule_evaluate, rules_run_on_new_data


@shared_task(
    name="recognition.evaluate_rule", time_limit=TIME_LIMIT, soft_time_limit=SOFT_TIME_LIMIT, acks_late=True
)
def evaluate_rule_task(*, bureau_id: int, rule_id: int, only_changed: bool = True) -> dict[str, int]:
    del bureau_id  # routing and logs; the rule is re-read by id
    return rule_evaluate(rule_id=rule_id, only_changed=only_changed)


@shared_task(name="recognition.run_rules_on_new_data", time_limit=120)
def run_rules_on_new_data_task() -> list[int]:
    return rules_run_on_new_data()
