"""``/fdsnws/event/1/``: the FDSN event web service (see catalog/fdsn.py)."""

from django.urls import path

from . import fdsn

urlpatterns = [
    path("", fdsn.index, name="fdsn-index"),
    path("query", fdsn.query, name="fdsn-query"),
    path("count", fdsn.count, name="fdsn-count"),
    path("version", fdsn.version, name="fdsn-version"),
    path("application.wadl", fdsn.wadl, name="fdsn-wadl"),
    path("catalogs", fdsn.catalogs, name="fdsn-catalogs"),
    path("contributors", fdsn.contributors, name="fdsn-contributors"),
]
