"""The URLconf of a host that serves only the public pages (``PUBLIC_SITE_ONLY=1``): online
self-service, nothing else — no login page, no staff page, no admin."""

from . import public

urlpatterns = public.urlpatterns()

handler404 = "servicecenter.views.errors.public_not_found"
