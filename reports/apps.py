from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from portal import hooks

        from . import panels  # noqa: F401 - registers the dashboard panels

        hooks.hook("event.arrived")(on_event_arrived)


def on_event_arrived(*, event_id: int, created: bool = True, source: str = "", **_extra: object) -> None:
    """A new event or a new version of one: queue the special-topic reports it calls for.

    The hook runs after the catalog's transaction committed; the builds are queued on
    commit of this one.
    """
    from .services import topic_reports_for_event

    topic_reports_for_event(event_id=event_id, source=source)
