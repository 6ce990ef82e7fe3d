"""A logging filter that masks resident ID numbers in every log line (issue 14, second line of
defence behind ``idquery``): the access log of ``runserver``, Django's request errors (which print
the URL and, in a traceback, local variables), anything an app logs.

``settings.LOGGING`` puts it on every handler. A number is masked when the 18 characters look like
one (17 digits and a digit or X); an unrelated 18-digit number is masked too, which costs nothing.
Sealed tokens (``~gAAAA…``) are left as they are: they are ciphertext.
"""

from __future__ import annotations

import logging

from .idquery import ID_NUMBER_RE
from .validators import mask_resident_id


def mask(text: str) -> str:
    return ID_NUMBER_RE.sub(lambda m: mask_resident_id(m.group(1).replace(" ", "").upper()), text)


class MaskIdNumbers(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is the caller's bug; log it as it is
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Format the traceback now, so that its text (which may quote the URL) is masked too.
            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True
