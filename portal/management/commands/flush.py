"""Django's ``flush``, aware that the audit trail refuses TRUNCATE (portal.audit_chain).

Emptying the database empties the audit chain and its anchors too, which their triggers
refuse. Only where ``settings.AUDIT_ALLOW_FLUSH`` is set (the tests: pytest-django and
``TransactionTestCase`` flush every table after each transactional test) are those two
triggers lifted for the flush's own statements; elsewhere the flush fails on them.
"""

from __future__ import annotations

from typing import Any

import pgtrigger
from django.conf import settings
from django.core.management.commands import flush

TRUNCATE_TRIGGERS = ("portal.AuditEvent:audit_no_truncate", "portal.AuditAnchor:anchor_no_truncate")


class Command(flush.Command):
    help = flush.Command.help + " The audit trail may be emptied only where settings.AUDIT_ALLOW_FLUSH."

    def handle(self, **options: Any) -> None:
        if not getattr(settings, "AUDIT_ALLOW_FLUSH", False):
            return super().handle(**options)
        with pgtrigger.ignore(*TRUNCATE_TRIGGERS):
            return super().handle(**options)
