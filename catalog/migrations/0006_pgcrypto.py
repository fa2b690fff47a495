"""pgcrypto: the CSV import computes the events' public ids (SHA-1) on the server (issue 18).

A trusted extension since PostgreSQL 13: the database's owner may create it.
"""

from django.contrib.postgres.operations import CryptoExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("catalog", "0005_event_indexes")]

    operations = [CryptoExtension()]
