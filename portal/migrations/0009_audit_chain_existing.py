"""Chain the audit records written before the chain existed, in id order (portal.audit_chain)."""

from django.db import migrations

BATCH = 2000


def chain_existing(apps, schema_editor):
    from portal.audit_chain import CHAIN_LOCK, GENESIS, ChainRow, link

    AuditEvent = apps.get_model("portal", "AuditEvent")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK])
    after = (0, GENESIS)
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:BATCH])
        if not batch:
            return
        rows = [
            ChainRow(
                id=e.id,
                seq=0,
                prev_hash="",
                hash="",
                created_at=e.created_at,
                actor_id=e.actor_id,
                bureau_id=e.bureau_id,
                action=e.action,
                target_type=e.target_type,
                target_id=e.target_id,
                from_state=e.from_state,
                to_state=e.to_state,
                comment=e.comment,
                extra=e.extra,
            )
            for e in batch
        ]
        for event, (seq, prev_hash, digest) in zip(batch, link(rows, after=after), strict=True):
            event.seq, event.prev_hash, event.hash = seq, prev_hash, digest
        AuditEvent.objects.bulk_update(batch, ["seq", "prev_hash", "hash"])
        after = (batch[-1].seq, batch[-1].hash)
        last_id = batch[-1].id


class Migration(migrations.Migration):
    dependencies = [("portal", "0008_audit_chain_fields")]

    operations = [migrations.RunPython(chain_existing, migrations.RunPython.noop)]
