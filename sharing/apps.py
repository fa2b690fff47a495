from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    """Data sharing between bureaus: the data supermarket, requests, grants and pushes."""

    name = "sharing"
    verbose_name = _("Data sharing")

    def ready(self) -> None:
        from .search_kinds import register_search_kinds

        register_search_kinds()  # what people find in the portal's search (portal.search)
        from . import openings, panels, receivers  # noqa: F401 - panels and receivers register themselves
        from .services import push_workflow, request_workflow  # noqa: F401 - register the workflows

        # what grants open, for portal.tenancy.visible_to
        openings.register()
