from django.urls import path

from . import views

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="landing"),
    path("", views.petition_list, name="list"),
    path("new/", views.petition_new, name="new"),
    path("export.xlsx", views.petition_export, name="export"),
    path("escalations/", views.escalation_list, name="escalations"),
    path("follow-ups/", views.follow_up_list, name="follow_ups"),
    path("notices/", views.notice_list, name="notices"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    *views.TASK_PAGE.urlpatterns("tasks/targets/<int:pk>/", name_prefix="task_"),
    # Online submissions waiting to be accepted (the public pages are petitions/public_urls.py).
    path("submissions/", views.submission_list, name="submissions"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/files/<int:file_pk>/", views.submission_file, name="submission_file"),
    *views.SUBMISSION_PAGE.urlpatterns("submissions/<int:pk>/", name_prefix="submission_"),
    path("<int:pk>/", views.petition_detail, name="detail"),
    path("<int:pk>/print.pdf", views.petition_print, name="print"),
    path("<int:pk>/report.pdf", views.petition_report_print, name="report_print"),
    path("<int:pk>/hotline.pdf", views.hotline_print, name="hotline_print"),
    path("<int:pk>/referral-report.pdf", views.referral_report_print, name="referral_print"),
    path("<int:pk>/notices/<int:notice_pk>/print.pdf", views.notice_print, name="notice_print"),
    *views.NOTICE_PAGE.urlpatterns("<int:pk>/notices/<int:notice_pk>/", name_prefix="notice_"),
    # The 12351 work order's steps: /petitions/<pk>/hotline/<step>/ (dispatch, feedback, …).
    *views.HOTLINE_PAGE.urlpatterns("<int:pk>/hotline/", name_prefix="hotline_"),
    # One POST URL per step of the workflow: /petitions/<pk>/<step>/ (answer, assign, send-up, …).
    *views.PAGE.urlpatterns(),
]
