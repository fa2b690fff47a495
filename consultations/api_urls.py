from django.urls import path

from . import apis

P = "consultations/"
urlpatterns = [
    path(f"{P}meetings/", apis.MeetingListApi.as_view(), name="api-consultation-meetings"),
    path(f"{P}meetings/<id:meeting_id>/", apis.MeetingDetailApi.as_view(), name="api-consultation-meeting"),
    path(f"{P}meetings/<id:meeting_id>/open/", apis.MeetingOpenApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/close/", apis.MeetingCloseApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/materials/", apis.MaterialAttachApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/opinions/", apis.OpinionSubmitApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/conclusion/", apis.ConclusionEditApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/forecasts/", apis.ForecastAddApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/forecasts/<id:forecast_id>/", apis.ForecastRemoveApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/votes/", apis.VoteCastApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/comments/", apis.CommentAddApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/events/", apis.RoomEventListApi.as_view()),
    path(f"{P}meetings/<id:meeting_id>/reports/", apis.ReportCreateApi.as_view()),
    path(f"{P}reports/", apis.ReportListApi.as_view(), name="api-consultation-reports"),
    path(f"{P}reports/<id:report_id>/", apis.ReportDetailApi.as_view(), name="api-consultation-report"),
    path(f"{P}reports/<id:report_id>/submit/", apis.ReportSubmitApi.as_view()),
    path(f"{P}reports/<id:report_id>/return/", apis.ReportReturnApi.as_view()),
    path(f"{P}reports/<id:report_id>/review/", apis.ReportReviewApi.as_view()),
    path(f"{P}reports/<id:report_id>/sign-off/", apis.ReportSignOffApi.as_view()),
    path(f"{P}reports/<id:report_id>/issue/", apis.ReportIssueApi.as_view()),
    path(f"{P}reports/<id:report_id>/archive/", apis.ReportArchiveApi.as_view()),
    path(f"{P}reports/<id:report_id>/correct/", apis.ReportCorrectApi.as_view()),
    path(f"{P}reports/<id:report_id>/pdf/", apis.ReportPdfApi.as_view(), name="api-consultation-report-pdf"),
]
