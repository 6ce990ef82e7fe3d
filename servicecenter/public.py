"""Pages for the public (online self-service): the only pages that need no login.

An app declares them as ``ServiceApp.public_urls`` (a URLconf module with an ``app_name``); the
core mounts each at ``/public/<prefix>/`` and marks every view in it with Django's
``login_not_required``, so ``LoginRequiredMiddleware`` lets anonymous visitors through there and
nowhere else (``tests/test_access_crawl.py`` checks both). The same patterns make up
``servicecenter/public_urls.py``, the URLconf of a host that serves the public pages alone
(``PUBLIC_SITE_ONLY=1``): staff pages do not even exist there.
"""

from __future__ import annotations

from types import ModuleType

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, include, path

from . import registry

PREFIX = "public/"


def _exempt(module: ModuleType) -> list[URLPattern]:
    out = []
    for entry in getattr(module, "urlpatterns", []):
        if isinstance(entry, URLResolver) or not isinstance(entry, URLPattern):
            # A nested include() could bring in views nobody meant to make public.
            raise ImproperlyConfigured(f"{module.__name__}：公开页面不能再 include 其他 URL 配置。")
        out.append(URLPattern(entry.pattern, login_not_required(entry.callback), entry.default_args, entry.name))
    return out


def urlpatterns() -> list[URLResolver]:
    """``/public/<prefix>/…`` for every installed app that declares public pages."""
    out = []
    for app in registry.service_apps():
        module = app.public_urls
        if module is None:
            continue
        name = getattr(module, "app_name", None)
        if not name:
            raise ImproperlyConfigured(f"{module.__name__}：公开页面的 URL 配置须有 app_name。")
        out.append(path(f"{PREFIX}{app.prefix}/", include((_exempt(module), name), namespace=name)))
    return out
