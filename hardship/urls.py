from django.urls import path

from . import views

app_name = "hardship"
urlpatterns = [
    path("", views.file_list, name="landing"),
    path("", views.file_list, name="list"),
    path("new/", views.file_new, name="new"),
    path("roster/", views.roster, name="roster"),
    path("export.xlsx", views.roster_export, name="export"),
    path("notices/", views.notice_list, name="notices"),
    path("notices.pdf", views.notice_print, name="notice_print"),
    path("reports/", views.report_list, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    *views.REPORT_PAGE.urlpatterns("reports/<int:pk>/", name_prefix="report_"),
    path("<int:pk>/", views.file_detail, name="detail"),
    path("<int:pk>/edit/", views.file_edit, name="edit"),
    path("<int:pk>/print.pdf", views.approval_print, name="print"),
    path("<int:pk>/card.pdf", views.card_print, name="card"),
    path("<int:pk>/visits/<int:visit_pk>/", views.visit_detail, name="visit_detail"),
    path("<int:pk>/evaluations/<int:evaluation_pk>/", views.evaluation_detail, name="evaluation"),
    # One POST URL per step of the workflow: /hardship/<pk>/<step>/ (visit, review, post-notice, …).
    *views.PAGE.urlpatterns(),
]
