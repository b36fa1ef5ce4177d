"""Look at a PDF the way a reader does: its pages as pictures, its text as a viewer extracts it.

Uses PDFium through the `pypdfium2` wheel (no poppler-utils to install; ADR 0008).
"""

from __future__ import annotations

import pypdfium2 as pdfium
from PIL import Image


def rasterise(pdf: bytes, *, dpi: int = 100, page: int = 0) -> Image.Image:
    """One page rendered at `dpi` as an RGB picture."""
    document = pdfium.PdfDocument(pdf)
    try:
        bitmap = document[page].render(scale=dpi / 72)
        return bitmap.to_pil().convert("RGB")
    finally:
        document.close()


def text(pdf: bytes) -> str:
    """The text of every page, pages separated by a form feed."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = []
        for page in document:
            textpage = page.get_textpage()
            pages.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return "\f".join(pages)
    finally:
        document.close()


def page_count(pdf: bytes) -> int:
    """How many pages the document has."""
    document = pdfium.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()
