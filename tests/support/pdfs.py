"""Reading PDFs back as a reader would: their text, their fonts, their document info."""

from __future__ import annotations

import io
from collections.abc import Iterator

from pypdf import PdfReader


def read_pdf(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def text_of(reader: PdfReader) -> str:
    """Every page's text without white space, so a line break inside a sentence is moot."""
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def fonts_of(reader: PdfReader) -> Iterator[tuple[str, dict | None]]:
    """(base font name, font descriptor) of every font any page uses; a composite font's
    descriptor is its descendant's."""
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants.get_object()[0].get_object() if descendants else font
            descriptor = target.get("/FontDescriptor")
            yield str(font["/BaseFont"]), descriptor.get_object() if descriptor else None


def embedded(descriptor: dict | None) -> bool:
    """The font program is in the file (TrueType or CFF), not left to the viewer."""
    return descriptor is not None and bool({"/FontFile2", "/FontFile3"} & set(descriptor))
