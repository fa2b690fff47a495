"""The tests' ``flush`` (after each transactional test): DELETE of the tables that hold rows
instead of one TRUNCATE of every table, with the same end: every table empty, the audit
trail's append-only triggers lifted for it alone, the rows ``post_migrate`` makes made again."""

from __future__ import annotations

import pgtrigger
import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from portal.management.commands.flush import DELETE_TRIGGERS, empty_filled_tables
from portal.models import AuditEvent
from portal.services import audit_record

pytestmark = pytest.mark.django_db(transaction=True)


MADE_BY_POST_MIGRATE = {"django_content_type", "auth_permission", "flows_storeentry", "flows_storeversion"}


def _filled_tables() -> list[str]:
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    with connection.cursor() as cursor:
        filled = []
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(table)})")  # noqa: S608
            if cursor.fetchone()[0]:
                filled.append(table)
    return sorted(filled)


def _flush(**options) -> None:
    # as django.test.TransactionTestCase._fixture_teardown calls it
    call_command(
        "flush",
        verbosity=0,
        interactive=False,
        database="default",
        reset_sequences=False,
        allow_cascade=False,
        inhibit_post_migrate=False,
        **options,
    )


@pytest.mark.parametrize("filled_only", [True, False], ids=["delete", "truncate"])
def test_the_flush_empties_every_table_the_audit_trail_too(settings, jx, jx_admin, filled_only):
    settings.FLUSH_FILLED_TABLES_ONLY = filled_only
    audit_record(actor=jx_admin, action="bureau.update", target=jx, comment="before the flush")
    assert AuditEvent.objects.exists()
    _flush()
    # nothing is left but what post_migrate makes again (content types, permissions, the
    # built-in flows of the store)
    assert ContentType.objects.exists()
    assert set(_filled_tables()) <= MADE_BY_POST_MIGRATE
    assert not AuditEvent.objects.exists()


def test_only_the_filled_tables_are_emptied(jx, jx_admin):
    audit_record(actor=jx_admin, action="bureau.update", target=jx, comment="before the flush")
    with pgtrigger.ignore(*DELETE_TRIGGERS):
        emptied = empty_filled_tables("default")
    assert {"portal_bureau", "portal_user", "portal_membership", "portal_auditevent"} <= set(emptied)
    assert _filled_tables() == []


def test_elsewhere_the_audit_trail_refuses_the_flush(settings, jx, jx_admin):
    from django.core.management.base import CommandError

    settings.AUDIT_ALLOW_FLUSH = False
    audit_record(actor=jx_admin, action="bureau.update", target=jx, comment="kept")
    with pytest.raises(CommandError):
        _flush()
    assert AuditEvent.objects.filter(comment="kept").exists()


def test_a_write_caught_in_a_deadlock_with_the_flush_commits_and_the_flush_tries_again(jx, jx_admin):
    """Another process's write still under way when a test ends: it holds the last table the
    flush locks and then wants one the flush already holds. PostgreSQL aborts the flush (the
    longer waiter); the write commits; the flush, tried again, empties that too."""
    import threading
    import time

    import psycopg

    tables = sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))
    first, last = tables[0], tables[-1]
    settings_dict = connection.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"],
        host=settings_dict["HOST"],
        port=settings_dict["PORT"] or 5432,
    )
    other.execute(f'LOCK TABLE "{last}" IN ROW EXCLUSIVE MODE')  # a write under way on the last table
    finished: list[str] = []

    def then_wants_the_first() -> None:
        time.sleep(0.5)  # the flush waits on the last table by now, the others locked
        other.execute(f'LOCK TABLE "{first}" IN ROW SHARE MODE')  # a foreign key's check, say
        other.commit()
        finished.append("committed")

    writer = threading.Thread(target=then_wants_the_first)
    writer.start()
    try:
        with pgtrigger.ignore(*DELETE_TRIGGERS):
            emptied = empty_filled_tables("default")
    finally:
        writer.join(20)
        other.close()
    assert finished == ["committed"]
    assert "portal_bureau" in emptied
    assert _filled_tables() == []
