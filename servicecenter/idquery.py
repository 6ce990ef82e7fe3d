"""Resident ID numbers never travel in a URL (issue 14, PIPL art. 51): they are sealed first.

A search or lookup by full ID number would otherwise put the number in the address bar, the
browser history, the server's access log and every audit row that keeps the query string. Here:

- Filter forms post (``templates/filter_form.html``: ``method="post"`` and a hidden ``_search``).
  ``IdQueryMiddleware`` answers such a post with a redirect to the same list as a GET whose values
  have every resident ID number replaced by a *sealed token*: ``~`` + the number encrypted with the
  field key (Fernet, so it carries its own time and expires after ``TOKEN_TTL_SECONDS``).
- A GET that still carries a plain number (typed, bookmarked, an older link) is served, but the
  links it builds (pages, export) carry the number sealed; the log filter (``logmask.py``) masks it
  in that one request's log line.
- A GET carrying tokens is served with ``request.GET`` holding the numbers again (the filters need
  them) and ``request.sealed_GET`` holding the tokens: page links (``listing``) and export jobs are
  built from the sealed form, audit rows from ``redacted`` (the masked form, 330602********1234).

Not a "server-side" token in a session table: the token is the ciphertext itself, so a background
export job can open it too, and nothing is stored for it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from cryptography.fernet import InvalidToken
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.middleware.csrf import CsrfViewMiddleware

from . import encryption
from .validators import mask_resident_id

TOKEN_PREFIX = "~"
TOKEN_TTL_SECONDS = 12 * 60 * 60  # one working day, the longest a session lives
SEARCH_MARKER = "_search"
_NOT_PARAMS = {SEARCH_MARKER, "csrfmiddlewaretoken"}

# 17 digits and a digit or X, not inside a longer run of digits or letters; spaces between the
# groups (330602 19800101 1234) are how clerks type it from a card.
ID_NUMBER_RE = re.compile(r"(?<![0-9A-Za-z])(\d{6}\s?\d{8}\s?\d{3}[\dXx])(?![0-9A-Za-z])")
_TOKEN_RE = re.compile(re.escape(TOKEN_PREFIX) + r"(gAAAAA[A-Za-z0-9_\-=]{20,400})")


def contains_id_number(text: str) -> bool:
    return bool(ID_NUMBER_RE.search(text or ""))


def _compact(match: re.Match[str]) -> str:
    return re.sub(r"\s+", "", match.group(1)).upper()


def seal(number: str) -> str:
    """The token standing for ``number`` in a URL."""
    return TOKEN_PREFIX + encryption.encrypt(re.sub(r"\s+", "", number).upper())


def seal_text(text: str) -> str:
    """``text`` with every ID number in it replaced by its token."""
    return ID_NUMBER_RE.sub(lambda m: seal(_compact(m)), text or "")


def mask_text(text: str) -> str:
    """``text`` with every ID number in it (plain or sealed) replaced by the masked form."""
    masked = ID_NUMBER_RE.sub(lambda m: mask_resident_id(_compact(m)), text or "")
    return _TOKEN_RE.sub(lambda m: _open(m.group(1), None, masked=True) or "******", masked)


def _open(ciphertext: str, ttl: int | None, *, masked: bool = False) -> str | None:
    try:
        number = encryption.decrypt(ciphertext, ttl=ttl)
    except (InvalidToken, ValueError, TypeError):
        return None
    return mask_resident_id(number) if masked else number


def unseal_text(text: str, *, ttl: int | None = TOKEN_TTL_SECONDS) -> tuple[str, bool]:
    """``(text with tokens opened, whether a token had expired or was forged)``; a bad token is
    dropped from the text."""
    bad = False

    def repl(m: re.Match[str]) -> str:
        nonlocal bad
        number = _open(m.group(1), ttl)
        if number is None:
            bad = True
            return ""
        return number

    return _TOKEN_RE.sub(repl, text), bad


def _map(params: QueryDict, change: Callable[[str], str], *, skip: set[str] | None = None) -> QueryDict:
    out = QueryDict(mutable=True)
    for key, values in params.lists():
        if skip and key in skip:
            continue
        out.setlist(key, [change(v) for v in values])
    out._mutable = False
    return out


def sealed(params: QueryDict) -> QueryDict:
    return _map(params, seal_text)


def unsealed(params: QueryDict, *, ttl: int | None = TOKEN_TTL_SECONDS, masked: bool = False) -> QueryDict:
    if masked:
        return _map(params, mask_text)
    return _map(params, lambda v: unseal_text(v, ttl=ttl)[0])


def redacted(params: QueryDict | dict[str, Any] | str) -> str:
    """A query string fit for an audit row: ID numbers, plain or sealed, in the masked form."""
    if isinstance(params, str):
        params = QueryDict(params)
    if isinstance(params, QueryDict):
        return mask_text(params.urlencode(safe="*~"))
    return mask_text(urlencode(params))


def sealed_query(request: HttpRequest) -> QueryDict:
    """The query the request came with, as it may be put in a link."""
    return getattr(request, "sealed_GET", None) or sealed(request.GET)


class IdQueryMiddleware:
    """See the module docstring. Sits after authentication: only signed-in pages post searches."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and SEARCH_MARKER in request.POST:
            # A search changes nothing, but it is still a post: the same CSRF check as any other.
            refused = CsrfViewMiddleware(self.get_response).process_view(request, _search_view, (), {})
            if refused is not None:
                return refused
            return _see_other(request.path, sealed(_map(request.POST, str, skip=_NOT_PARAMS)))
        if request.method in ("GET", "HEAD") and request.GET:
            if any(contains_id_number(v) for values in request.GET.lists() for v in values[1]):
                # Served as asked (an old bookmark, a hand-typed address still works), but every
                # link the page builds from its query carries the number sealed.
                request.sealed_GET = sealed(request.GET)  # type: ignore[attr-defined]
            elif any(TOKEN_PREFIX in v for values in request.GET.lists() for v in values[1]):
                request.sealed_GET = request.GET  # type: ignore[attr-defined]
                opened = QueryDict(mutable=True)
                expired = False
                for key, values in request.GET.lists():
                    texts = []
                    for value in values:
                        text, bad = unseal_text(value)
                        expired = expired or bad
                        texts.append(text)
                    opened.setlist(key, texts)
                opened._mutable = False
                request.GET = opened  # type: ignore[assignment]
                if expired:
                    from django.contrib import messages

                    storage = getattr(request, "_messages", None)
                    if storage is not None:
                        messages.info(request, "查询中的身份证号码已过期，请重新输入。")
        return self.get_response(request)


def _search_view(request: HttpRequest) -> HttpResponse:  # what CsrfViewMiddleware is told it guards
    return HttpResponse(status=204)


def _see_other(path: str, params: QueryDict) -> HttpResponseRedirect:
    response = HttpResponseRedirect(f"{path}?{params.urlencode(safe='~')}" if params else path)
    response.status_code = 303
    return response
