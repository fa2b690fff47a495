"""The brief pages (included in ``trends.urls``, namespace ``trends``)."""

from django.urls import path

from . import brief_views

urlpatterns = [
    path("briefs/", brief_views.brief_list, name="brief-list"),
    path("briefs/compile/", brief_views.brief_compile_now, name="brief-compile"),
    path("briefs/settings/", brief_views.brief_settings, name="brief-settings"),
    path("briefs/<id:brief_id>/", brief_views.brief_detail, name="brief-detail"),
    path("briefs/<id:brief_id>/pdf/", brief_views.brief_pdf, name="brief-pdf"),
]
