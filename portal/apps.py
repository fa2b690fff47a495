from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portal")

    def ready(self) -> None:
        from django.urls import register_converter

        from .converters import IdConverter

        # Before any URLconf is imported: every route names its ids as <id:...>.
        register_converter(IdConverter, "id")
        from . import (
            jobs,
            notifications,
            panels,  # noqa: F401  (registers the dashboard panels)
        )

        # Deliveries by e-mail or SMS are background jobs: a dead worker's are ended failed.
        jobs.register(
            jobs.JobKind(
                name=notifications.JOB,
                sweep=notifications.deliveries_fail_abandoned,
                fail=lambda pk, message: notifications.delivery_fail(delivery_id=pk, message=message),
            )
        )
        from celery.schedules import crontab

        from .celery import app
        from .jobs import WATCHDOG_EVERY_SECONDS

        # One beat job finds the background jobs of every app whose worker died
        # (portal.jobs); DatabaseScheduler copies beat_schedule into django-celery-beat.
        app.conf.beat_schedule = {
            **(app.conf.beat_schedule or {}),
            "portal.jobs_watchdog": {"task": "portal.jobs_watchdog", "schedule": WATCHDOG_EVERY_SECONDS},
            # The log of personal-token requests, kept bounded (portal.token_services).
            "portal.token_uses_prune": {
                "task": "portal.token_uses_prune",
                "schedule": crontab(hour=3, minute=17),
            },
            # each complete Beijing day's last audit record, anchored within the hour
            "portal.audit_anchor": {"task": "portal.audit_anchor", "schedule": 3600.0},
        }
        register_jobs()


def register_jobs() -> None:
    """Rendering a document (portal.documents) and an integrity check (portal.integrity) are
    background jobs the watchdog looks after."""
    from . import documents, integrity, jobs

    integrity.register_chain_check()
    jobs.register(
        jobs.JobKind(
            name=integrity.JOB_NAME,
            sweep=integrity.integrity_checks_fail_abandoned,
            fail=lambda pk, message: integrity.integrity_check_fail(check_id=pk, message=message),
        )
    )

    jobs.register(
        jobs.JobKind(
            name=documents.JOB_NAME,
            sweep=documents.documents_reap_abandoned,
            fail=lambda pk, message: documents.document_fail_by_id(document_id=pk, message=message),
        )
    )
