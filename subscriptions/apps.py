from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    """Subscriptions people set for themselves: which quakes and products, where, when, how."""

    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - listens to arrivals and the topic-report hook
