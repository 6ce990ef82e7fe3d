from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import public, registry
from .admin import admin_site
from .views import accounts, attachments, auditlog, dashboard, employers, health, people, referrals, reports

urlpatterns = [
    # For load balancers and monitors: no login, no data (servicecenter/health.py).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", accounts.PasswordChangeView.as_view(), name="password_change"),
    path("", dashboard.dashboard, name="dashboard"),
    path("reports/", reports.index, name="reports"),
    path("reports/", include("servicecenter.views.reports")),
    path("people/", people.person_list, name="person_list"),
    path("people/new/", people.person_new, name="person_new"),
    path("people/lookup/", people.person_lookup, name="person_lookup"),
    path("people/attach/", people.person_attach, name="person_attach"),
    path("people/export.xlsx", people.person_export, name="person_export"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", people.person_edit, name="person_edit"),
    path("people/<int:pk>/reveal/", people.person_reveal, name="person_reveal"),
    path("people/<int:pk>/print.pdf", people.person_print, name="person_print"),
    path("employers/", employers.employer_list, name="employer_list"),
    path("employers/new/", employers.employer_new, name="employer_new"),
    path("employers/export.xlsx", employers.employer_export, name="employer_export"),
    path("employers/<int:pk>/", employers.employer_detail, name="employer_detail"),
    path("employers/<int:pk>/edit/", employers.employer_edit, name="employer_edit"),
    path("attachments/<int:pk>/", attachments.attachment_download, name="attachment_download"),
    path("attachments/<str:key>/<int:pk>/", attachments.attachment_upload, name="attachment_upload"),
    path("referrals/<str:target>/<str:source>/<int:pk>/", referrals.referral_new, name="referral_create"),
    path("audit/", auditlog.audit_log, name="audit_log"),
    path("exports/", include("servicecenter.views.exportjobs")),
    path("inbox/", dashboard.inbox, name="inbox"),
    # Each installed service app's pages, as its declaration (apps.py) gives them.
    *[path(f"{app.prefix}/", include(app.urls)) for app in registry.service_apps() if app.urls is not None],
    # Online self-service: the only pages without a login (servicecenter/public.py).
    *public.urlpatterns(),
    path("admin/", admin_site.urls),
]

handler403 = "servicecenter.views.errors.forbidden"
handler404 = "servicecenter.views.errors.not_found"
