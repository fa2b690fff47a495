"""Groups and events of the product engine's live pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from portal.services import broadcast, broadcast_on_commit

if TYPE_CHECKING:
    from products.models import ProductRun


def run_group(run: ProductRun) -> str:
    return f"bureau.{run.bureau_id}.product.{run.pk}"


def runs_group(bureau_id: int) -> str:
    return f"bureau.{bureau_id}.products"


def run_event(run: ProductRun) -> dict[str, Any]:
    return {
        "kind": "product.progress",
        "id": run.pk,
        "method": run.method,
        "status": run.status,
        "progress": run.progress,
        "note": run.progress_note,
        "error": run.error,
        "url": run.get_absolute_url(),
    }


def _announce(run: ProductRun, *, now: bool = False) -> None:
    event = run_event(run)
    for group in (run_group(run), runs_group(run.bureau_id)):
        if now:
            broadcast(group, event)
        else:
            broadcast_on_commit(group, event)
