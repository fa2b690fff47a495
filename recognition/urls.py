from django.urls import path

from . import views

app_name = "recognition"

urlpatterns = [
    path("recognition/rules/", views.rule_list, name="rule-list"),
    path("recognition/rules/new/", views.rule_new, name="rule-new"),
    path("recognition/rules/<id:rule_id>/", views.rule_detail, name="rule-detail"),
    path("recognition/rules/<id:rule_id>/edit/", views.rule_edit, name="rule-edit"),
    path("recognition/rules/<id:rule_id>/<str:action>/", views.rule_action, name="rule-action"),
]
