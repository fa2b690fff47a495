from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/topic/", views.topic_list, name="topic-list"),
    path("reports/topic/settings/", views.topic_settings, name="topic-settings"),
    path("reports/topic/<id:report_id>/", views.topic_detail, name="topic-detail"),
    path("reports/topic/<id:report_id>/report/", views.topic_html, name="topic-html"),
    path("reports/topic/<id:report_id>/pdf/", views.topic_pdf, name="topic-pdf"),
    path("reports/topic/<id:report_id>/map/<slug:name>.png", views.topic_map, name="topic-map"),
    path("reports/topic/<id:report_id>/rebuild/", views.topic_requeue, name="topic-requeue"),
    path("reports/push/<id:attempt_id>/retry/", views.push_retry, name="push-retry"),
    path("reports/layers/", views.layer_list, name="layer-list"),
    path("reports/layers/<id:layer_id>/", views.layer_detail, name="layer-detail"),
    path("reports/layers/<id:layer_id>/features.geojson", views.layer_geojson, name="layer-geojson"),
]
