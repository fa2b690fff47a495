"""Celery tasks of the portal core."""

from __future__ import annotations

from celery import shared_task

from . import selectors, services
from .documents import RENDER_SOFT_TIME_LIMIT, RENDER_TIME_LIMIT
from .integrity import SOFT_TIME_LIMIT as INTEGRITY_SOFT_TIME_LIMIT
from .integrity import TIME_LIMIT as INTEGRITY_TIME_LIMIT


@shared_task(name="portal.notify_bureau", time_limit=60)
def notify_bureau_task(
    *, bureau_code: str, title: str, body: str = "", url: str = "", level: str = "info"
) -> int:
    """Notify every member of a bureau; returns how many people it reached."""
    bureau = selectors.bureau_by_code(code=bureau_code)
    if bureau is None:
        return 0
    return services.notify_bureau(bureau=bureau, title=title, body=body, url=url, level=level)


@shared_task(name="portal.notify_user", time_limit=60)
def notify_user_task(
    *, user_id: int, title: str, body: str = "", url: str = "", level: str = "info"
) -> int | None:
    user = selectors.user_by_id(user_id=user_id)
    if user is None:
        return None
    return services.notify_user(user=user, title=title, body=body, url=url, level=level).pk


@shared_task(name="portal.jobs_watchdog", time_limit=300, soft_time_limit=240)
def jobs_watchdog_task() -> dict[str, list[int]]:
    """Fail or requeue background jobs whose worker died (see portal.jobs); idempotent."""
    from django.conf import settings
    from django.utils import translation

    from . import jobs

    with translation.override(settings.LANGUAGE_CODE):  # messages are stored in the portal's language
        return jobs.watchdog()


@shared_task(
    name="portal.document_render",
    time_limit=RENDER_TIME_LIMIT,
    soft_time_limit=RENDER_SOFT_TIME_LIMIT,
    acks_late=True,
)
def document_render_task(*, bureau_id: int, document_id: int) -> str | None:
    """Render one queued document to PDF and store it (idempotent: see portal.documents)."""
    from django.conf import settings
    from django.utils import translation

    from . import documents
    from .jobs import run_guarded

    with translation.override(settings.LANGUAGE_CODE):  # documents print in the portal's language
        document = run_guarded(
            documents.JOB_NAME, document_id, lambda: documents.document_render(document_id=document_id)
        )
    return document.status if document is not None else None


@shared_task(name="portal.deliver_notification", time_limit=60, soft_time_limit=45)
def deliver_notification_task(*, delivery_id: int) -> str | None:
    """Send one notification over one chosen channel (e-mail, SMS); ends sent or failed."""
    from . import jobs
    from .notifications import JOB, deliver

    delivery = jobs.run_guarded(JOB, delivery_id, lambda: deliver(delivery_id=delivery_id))
    return delivery.status if delivery is not None else None


@shared_task(name="portal.token_uses_prune", time_limit=600, soft_time_limit=540)
def token_uses_prune_task() -> int:
    """Keep the log of personal-token requests bounded (age and rows per token); idempotent."""
    from .token_services import token_uses_prune

    return token_uses_prune()


@shared_task(
    name="portal.integrity_check",
    time_limit=INTEGRITY_TIME_LIMIT,
    soft_time_limit=INTEGRITY_SOFT_TIME_LIMIT,
    acks_late=True,
)
def integrity_check_task(*, check_id: int) -> str | None:
    """Run one queued integrity check (the audit chain, the stored series); idempotent."""
    from django.conf import settings
    from django.utils import translation

    from . import integrity
    from .jobs import run_guarded

    with translation.override(settings.LANGUAGE_CODE):  # findings are stored in the portal's language
        check = run_guarded(
            integrity.JOB_NAME, check_id, lambda: integrity.integrity_check_run(check_id=check_id)
        )
    return check.status if check is not None else None


@shared_task(name="portal.audit_anchor", time_limit=300)
def audit_anchor_task() -> list[str]:
    """Anchor every complete Beijing day of the audit chain not anchored yet (hourly; idempotent)."""
    from . import integrity

    return [anchor.day.isoformat() for anchor in integrity.anchor_days()]


@shared_task(name="portal.search_index_ids", time_limit=600, soft_time_limit=540)
def search_index_ids_task(*, key: str, ids: list[int]) -> int:
    """Index rows written in bulk (portal.search_services.index_ids_after_commit); idempotent:
    an upsert of each row's document as it is now. A failure is logged; search_rebuild repairs."""
    from .search_services import index_ids

    return index_ids(key, ids)
