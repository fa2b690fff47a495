"""The portal's own flows (the emergency special-topic report, the monthly trend report
compilation) as built-in entries of the flow store (flows.builtin)."""

from django.db import migrations


def load(apps, schema_editor):
    from flows import builtin

    builtin.sync(apps.get_model("flows", "StoreEntry"), apps.get_model("flows", "StoreVersion"))


class Migration(migrations.Migration):
    dependencies = [("flows", "0002_flow_store")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
