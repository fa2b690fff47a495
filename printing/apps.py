from django.apps import AppConfig


class PrintingConfig(AppConfig):
    """The shared printing library (HTML/PDF rendering, maps, geodesy) the feature apps print with.

    It sits below the feature apps: it imports nothing of them, they import it."""

    name = "printing"
