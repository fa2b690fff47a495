"""The search index's words by kind (GIN with btree_gin) and in date order (RUM), so a word
found in many documents is ranked over the newest of them without visiting the rest
(``portal.search_selectors.KIND_CAP``).

RUM (https://github.com/postgrespro/rum, Debian's postgresql-NN-rum) is an extension only a
superuser may create: scripts/setup.sh installs the package and creates it in template1 (so
every new database, the test one too, has it) and in the portal's database; here it is only
checked. btree_gin ships with PostgreSQL and is trusted."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import BtreeGinExtension, CreateExtension
from django.db import migrations

RUM_INDEX = (
    "CREATE INDEX search_document_words_by_date ON portal_searchdocument "
    "USING rum (vector rum_tsvector_addon_ops, date) WITH (attach = 'date', to = 'vector')"
)


class Migration(migrations.Migration):
    dependencies = [("portal", "0012_search_document")]

    operations = [
        BtreeGinExtension(),
        CreateExtension("rum"),
        migrations.RemoveIndex(model_name="searchdocument", name="search_document_vector"),
        migrations.AddIndex(
            model_name="searchdocument",
            index=GinIndex(fields=["kind", "vector"], name="search_document_kind_words"),
        ),
        migrations.RunSQL(RUM_INDEX, "DROP INDEX IF EXISTS search_document_words_by_date"),
    ]
