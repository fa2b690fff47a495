from django.urls import path

from . import apis, brief_api_urls

P = "trend-reports/"
urlpatterns = [
    path(P, apis.TrendReportListApi.as_view(), name="api-trend-reports"),
    path(f"{P}<id:report_id>/", apis.TrendReportDetailApi.as_view(), name="api-trend-report"),
    path(
        f"{P}<id:report_id>/sections/<slug:key>/",
        apis.TrendSectionApi.as_view(),
        name="api-trend-report-section",
    ),
    path(f"{P}<id:report_id>/recompile/", apis.TrendReportRecompileApi.as_view()),
    path(f"{P}<id:report_id>/transitions/", apis.TrendReportTransitionApi.as_view()),
    path(f"{P}<id:report_id>/correct/", apis.TrendReportCorrectApi.as_view()),
    path(f"{P}<id:report_id>/changes/", apis.TrendReportChangesApi.as_view()),
    path(f"{P}<id:report_id>/pdf/", apis.TrendReportPdfApi.as_view(), name="api-trend-report-pdf"),
    path(
        f"{P}<id:report_id>/figures/<id:figure_id>/",
        apis.TrendFigureApi.as_view(),
        name="api-trend-report-figure",
    ),
    *brief_api_urls.urlpatterns,
]
