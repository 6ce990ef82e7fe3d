from django.urls import path

from . import batch_views, stock_views, views

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
    # 帮扶超市 (funds/stock_views.py)
    path("grants/<int:pk>/goods/", stock_views.grant_goods, name="grant_goods"),
    path("stock/", stock_views.item_list, name="stock"),
    path("stock/items/new/", stock_views.item_new, name="stock_item_new"),
    path("stock/receive/", stock_views.receive, name="stock_receive"),
    path("stock/close/", stock_views.close_day, name="stock_close"),
    path("stock/stocktakes/", stock_views.stocktake_list, name="stocktakes"),
    path("stock/stocktakes/new/", stock_views.stocktake_new, name="stocktake_new"),
    path("stock/days/<int:pk>/", stock_views.day_detail, name="stock_day"),
    path("stock/days/<int:pk>/print.pdf", stock_views.day_print, name="stock_day_print"),
    path("stock/movements/", stock_views.movement_list, name="stock_movements"),
    path("stock/movements/export.xlsx", stock_views.movement_export, name="stock_export"),
    # 批量救助 (funds/batch_views.py)
    path("batches/", batch_views.batch_list, name="batches"),
    path("batches/new/", batch_views.batch_new, name="batch_new"),
    path("batches/<int:pk>/", batch_views.batch_detail, name="batch"),
    *batch_views.PAGE.urlpatterns("batches/<int:pk>/", name_prefix="batch_"),
    path("batches/<int:pk>/pay/", batch_views.batch_pay, name="batch_pay"),
    path("batches/<int:pk>/bank-details/", batch_views.batch_bank_details, name="batch_bank_details"),
    path("batches/<int:pk>/reissue/", batch_views.batch_reissue, name="batch_reissue"),
    path("batches/<int:pk>/bank-export/", batch_views.batch_bank_export, name="batch_bank_export"),
    path("batches/<int:pk>/bank.xlsx", batch_views.batch_bank_list, name="batch_bank_list"),
    path("batches/<int:pk>/bank-import/", batch_views.batch_bank_import, name="batch_bank_import"),
]
