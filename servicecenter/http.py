"""The request type of the staff pages.

Every view is behind ``LoginRequiredMiddleware`` (and ``PasswordExpiryMiddleware``), so by the time
one runs, ``request.user`` is a signed-in staff account, never ``AnonymousUser``. Django's
``HttpRequest`` cannot say so; views annotated with ``StaffRequest`` can pass ``request.user`` to
the services (which take a ``User``) without a check that could never fail. The login page, the
error handlers and anything else reachable signed out keep ``HttpRequest``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    # Only for the annotation: importing the models here would tie this module to app loading.
    from .models import User


class StaffRequest(HttpRequest):
    """For annotations only: Django builds plain ``HttpRequest`` objects, never this class."""

    user: User
