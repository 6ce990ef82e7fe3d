"""The shared skill and occupation lists: names with synonyms, so that 电焊 finds 焊工.

A clerk types skills as text (``电焊、叉车``); ``terms_from_text`` turns each word into the list's
entry whose name or synonym it is, and says which words it does not know. Searches go through
``term_q``: a word matches an entry by its name or any synonym, in either direction of containment
(“焊工” finds 焊工, “电焊” finds it through its synonym).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from django.db.models import Model, Q, QuerySet

T = TypeVar("T", bound=Model)

_SEPARATORS = re.compile(r"[、，,；;/\s]+")


def split_terms(text: str) -> list[str]:
    """``"电焊、 叉车,,焊接"`` → ``["电焊", "叉车", "焊接"]`` (order kept, repeats dropped)."""
    seen: dict[str, None] = {}
    for word in _SEPARATORS.split(text or ""):
        word = word.strip()
        if word:
            seen.setdefault(word, None)
    return list(seen)


def _matches(entry: Model, word: str) -> bool:
    names = [entry.name, *split_terms(entry.synonyms)]  # type: ignore[attr-defined]
    return any(word == name for name in names)


def resolve(queryset: QuerySet[T], word: str) -> T | None:
    """The entry whose name or one of whose synonyms is exactly ``word``, else the one whose name
    contains it (“电工” in “维修电工”), else None."""
    candidates = list(queryset.filter(Q(name=word) | Q(synonyms__contains=word) | Q(name__contains=word)))
    exact = [c for c in candidates if _matches(c, word)]
    if exact:
        return exact[0]
    partial = [c for c in candidates if word in c.name]  # type: ignore[attr-defined]
    return partial[0] if len(partial) == 1 else None


def terms_from_text(queryset: QuerySet[T], text: str) -> tuple[list[T], list[str]]:
    """The entries named in ``text`` and the words that name none."""
    found: list[T] = []
    unknown: list[str] = []
    for word in split_terms(text):
        entry = resolve(queryset, word)
        if entry is None:
            unknown.append(word)
        elif entry not in found:
            found.append(entry)
    return found, unknown


def term_ids(queryset: QuerySet[T], text: str) -> list[int]:
    """Ids of every entry a search word could mean (name or synonym contains it, or it contains the
    name): the search side, looser than ``resolve``."""
    ids: list[int] = []
    for word in split_terms(text):
        for entry in queryset.filter(Q(name__contains=word) | Q(synonyms__contains=word)):
            if entry.pk not in ids:
                ids.append(entry.pk)
    return ids


def names(entries: Iterable[Model]) -> str:
    return "、".join(e.name for e in entries)  # type: ignore[attr-defined]
