from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "products"
    verbose_name = _("Computed products")

    def ready(self) -> None:
        from portal.celery import app

        from . import panels, provenance

        del panels  # registers the dashboard panels
        provenance.code_version()  # read once at startup, not per run
        # The beat job that requeues runs a killed worker left behind; DatabaseScheduler
        # copies beat_schedule entries into django-celery-beat's tables.
        app.conf.beat_schedule = {
            **(app.conf.beat_schedule or {}),
            "products.requeue_stale": {"task": "products.requeue_stale", "schedule": 300.0},
        }
