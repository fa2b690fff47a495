"""Django's ``flush``, aware that the audit trail refuses TRUNCATE (portal.audit_chain).

Emptying the database empties the audit chain and its anchors too, which their triggers
refuse. Only where ``settings.AUDIT_ALLOW_FLUSH`` is set (the tests: pytest-django and
``TransactionTestCase`` flush every table after each transactional test) are those triggers
lifted for the flush's own statements; elsewhere the flush fails on them.

Where ``settings.FLUSH_FILLED_TABLES_ONLY`` is set too (the tests), the tables are emptied by
``DELETE`` of those that hold rows instead of one ``TRUNCATE`` of every table: the end is the
same (every table empty, sequences left as they were, as the tests' flush asks), but a
TRUNCATE makes new files for each of the ~250 tables and their indexes, ~3.5 s on the CI
machine after every transactional test, where the few tables a test filled take ~0.1 s. The
tables are locked as TRUNCATE locks them against writes (``EXCLUSIVE``: no other connection
writes while they are emptied) and the foreign keys checked at commit (Django's are
``DEFERRABLE INITIALLY DEFERRED``), so the order of the DELETEs does not matter.
"""

from __future__ import annotations

import time
from typing import Any

import pgtrigger
from django.conf import settings
from django.core.management.commands import flush
from django.core.management.sql import emit_post_migrate_signal
from django.db import OperationalError, connections, transaction
from psycopg.errors import DeadlockDetected

TRUNCATE_TRIGGERS = ("portal.AuditEvent:audit_no_truncate", "portal.AuditAnchor:anchor_no_truncate")
DELETE_TRIGGERS = ("portal.AuditEvent:audit_append_only", "portal.AuditAnchor:anchor_append_only")


class Command(flush.Command):
    help = flush.Command.help + " The audit trail may be emptied only where settings.AUDIT_ALLOW_FLUSH."

    def handle(self, **options: Any) -> None:
        if not getattr(settings, "AUDIT_ALLOW_FLUSH", False):
            return super().handle(**options)
        if (
            getattr(settings, "FLUSH_FILLED_TABLES_ONLY", False)
            and not options.get("interactive", True)
            and not options.get("reset_sequences", True)
        ):
            with pgtrigger.ignore(*DELETE_TRIGGERS):
                empty_filled_tables(options["database"])
            if not options.get("inhibit_post_migrate", False):
                emit_post_migrate_signal(options["verbosity"], False, options["database"])
            return None
        with pgtrigger.ignore(*TRUNCATE_TRIGGERS):
            return super().handle(**options)


#: Times the emptying is tried when PostgreSQL breaks a deadlock by aborting it.
FLUSH_ATTEMPTS = 5


def empty_filled_tables(database: str) -> list[str]:
    """DELETE every row of the Django tables that hold any (the same tables ``flush`` empties);
    returns their names.

    The LOCK takes the tables one after the other. A write of another process still under
    way when a test ends (a request a live server is finishing, a worker's task appending to
    the audit chain) may hold one table and wait for one already locked here: PostgreSQL then
    aborts one of the two. When it aborts this one, the other commits, and the emptying is
    tried again (and empties what the other wrote)."""
    attempt = 1
    while True:
        try:
            return _empty_filled_tables(database)
        except OperationalError as problem:
            if not isinstance(problem.__cause__, DeadlockDetected) or attempt >= FLUSH_ATTEMPTS:
                raise
        time.sleep(0.1 * attempt)
        attempt += 1


def _empty_filled_tables(database: str) -> list[str]:
    connection = connections[database]
    tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
    if not tables:
        return []
    quoted = [connection.ops.quote_name(t) for t in tables]
    with transaction.atomic(using=database), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(quoted)} IN EXCLUSIVE MODE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            " UNION ALL ".join(f"SELECT {i} WHERE EXISTS (SELECT 1 FROM {q})" for i, q in enumerate(quoted))  # noqa: S608 - names from introspection, quoted
        )
        filled = [row[0] for row in cursor.fetchall()]
        for i in filled:
            cursor.execute(f"DELETE FROM {quoted[i]}")  # noqa: S608 - a name from introspection, quoted
    return [tables[i] for i in filled]
