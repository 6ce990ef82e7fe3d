"""The public pages (online self-service, no login), mounted by the core at /public/petitions/
(``ServiceApp.public_urls``; every view here is marked ``login_not_required`` by the core)."""

from django.urls import path

from . import public_views

app_name = "petitions_public"
urlpatterns = [
    path("", public_views.index, name="index"),
    path("submit/", public_views.submit, name="submit"),
    path("submitted/", public_views.submitted, name="submitted"),
    path("lookup/", public_views.lookup, name="lookup"),
]
