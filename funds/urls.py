from django.urls import path

from . import views

app_name = "funds"
urlpatterns = [
    path("", views.grant_list, name="landing"),
    path("grants/", views.grant_list, name="grants"),
    path("grants/new/", views.grant_new, name="grant_new"),
    path("grants/export.xlsx", views.grant_export, name="grant_export"),
    path("grants/payment-list.pdf", views.payment_list, name="payment_list"),
    path("grants/<int:pk>/", views.grant_detail, name="grant"),
    path("grants/<int:pk>/print.pdf", views.grant_print, name="grant_print"),
    # One POST URL per step of the grant's workflow: /funds/grants/<pk>/<step>/.
    *views.PAGE.urlpatterns("grants/<int:pk>/"),
    path("sources/", views.source_list, name="sources"),
    path("sources/new/", views.source_new, name="source_new"),
    path("sources/export.xlsx", views.source_export, name="source_export"),
    path("sources/<int:pk>/", views.source_detail, name="source"),
    path("sources/<int:pk>/receipt.pdf", views.source_receipt, name="source_receipt"),
    path("accounts/", views.account_list, name="accounts"),
    path("accounts/<int:pk>/", views.account_detail, name="account"),
    path("accounts/<int:pk>/allocate/", views.account_allocate, name="account_allocate"),
    path("budgets/", views.budget_list, name="budgets"),
    path("year-close/", views.year_close_list, name="year_closes"),
    path("announcement.pdf", views.announcement, name="announcement"),
    path("ledger/", views.ledger_list, name="ledger"),
    path("ledger/export.xlsx", views.ledger_export, name="ledger_export"),
    path("ledger/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
]
