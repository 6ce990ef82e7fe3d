"""The URLconf of a host that serves only the public pages (``PUBLIC_SITE_ONLY=1``): online
self-service, nothing else — no login page, no staff page, no admin; the health endpoints too, so that the load balancer in
front of the public host can check it as it checks the staff hosts."""

from django.urls import path

from . import public
from .views import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    *public.urlpatterns(),
]

handler404 = "servicecenter.views.errors.public_not_found"
