from django.urls import path

from . import views

app_name = "legalaid"
urlpatterns = [
    path("", views.landing, name="landing"),
    path("applications/", views.application_list, name="applications"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/export.xlsx", views.application_export, name="application_export"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/edit/", views.application_edit, name="application_edit"),
    path("applications/<int:pk>/print.pdf", views.application_print, name="application_print"),
    path("applications/<int:pk>/approval.pdf", views.approval_print, name="approval_print"),
    path("applications/<int:pk>/refusal.pdf", views.refusal_print, name="refusal_print"),
    path("applications/<int:pk>/withdrawal.pdf", views.withdrawal_print, name="withdrawal_print"),
    path("applications/<int:pk>/assignment.pdf", views.assignment_print, name="assignment_print"),
    # One POST URL per step: /legalaid/applications/<pk>/<step>/ (complete, grant, assign, close, …).
    *views.PAGE.urlpatterns("applications/<int:pk>/"),
    path("mediations/", views.mediation_list, name="mediations"),
    path("mediations/new/", views.mediation_new, name="mediation_new"),
    path("mediations/export.xlsx", views.mediation_export, name="mediation_export"),
    path("mediations/<int:pk>/", views.mediation_detail, name="mediation_detail"),
    path("mediations/<int:pk>/agreement.pdf", views.agreement_print, name="agreement_print"),
    *views.MEDIATION_PAGE.urlpatterns("mediations/<int:pk>/", name_prefix="mediation_"),
    path("consultations/", views.consultation_list, name="consultations"),
    path("consultations/new/", views.consultation_new, name="consultation_new"),
    path("advisors/", views.advisor_list, name="advisors"),
    path("advisors/new/", views.advisor_new, name="advisor_new"),
    path("advisors/<int:pk>/", views.advisor_detail, name="advisor_detail"),
    path("advisors/<int:pk>/edit/", views.advisor_edit, name="advisor_edit"),
    path("advisors/<int:pk>/ties/", views.advisor_tie_add, name="advisor_tie_add"),
    path("advisors/<int:pk>/ties/<int:tie_pk>/delete/", views.advisor_tie_remove, name="advisor_tie_remove"),
    path("reception/", views.reception_list, name="reception"),
    path("employers/", views.offenders, name="offenders"),
    path("figures/", views.figures, name="figures"),
]
