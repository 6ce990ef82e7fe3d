"""PDF text as a reader sees it: poppler's pdftotext (layout kept), for checking printed forms."""

from __future__ import annotations

import subprocess
import tempfile


def pdf_text(content: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(content)
        f.flush()
        out = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True, check=True)
    return out.stdout


def squeezed(text: str) -> str:
    """The text without spaces and line breaks (a table cell may wrap a value over two lines)."""
    return "".join(text.split())
