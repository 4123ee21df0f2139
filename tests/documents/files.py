"""Small files of every type the portal accepts or refuses, made in memory."""

from __future__ import annotations

import io
import zipfile

OOXML = "application/vnd.openxmlformats-officedocument."


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries:
            compress = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=compress)
    return buffer.getvalue()


def _ooxml(main: str, part: str) -> bytes:
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main}"/></Types>'
    )
    return _zip([("[Content_Types].xml", types.encode()), (part, b"<x/>")])


def _odf(mimetype: str) -> bytes:
    return _zip([("mimetype", mimetype.encode()), ("content.xml", b"<x/>")])


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"

# (file name, content, Content-Type served) of each accepted type.
ACCEPTED = {
    "pdf": ("plan.pdf", PDF, "application/pdf"),
    "docx": (
        "report.docx",
        _ooxml(OOXML + "wordprocessingml.document.main+xml", "word/document.xml"),
        OOXML + "wordprocessingml.document",
    ),
    "xlsx": (
        "budget.xlsx",
        _ooxml(OOXML + "spreadsheetml.sheet.main+xml", "xl/workbook.xml"),
        OOXML + "spreadsheetml.sheet",
    ),
    "pptx": (
        "slides.pptx",
        _ooxml(OOXML + "presentationml.presentation.main+xml", "ppt/presentation.xml"),
        OOXML + "presentationml.presentation",
    ),
    "odt": (
        "notes.odt",
        _odf("application/vnd.oasis.opendocument.text"),
        "application/vnd.oasis.opendocument.text",
    ),
    "ods": (
        "table.ods",
        _odf("application/vnd.oasis.opendocument.spreadsheet"),
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
    "png": ("map.png", PNG, "image/png"),
    "jpeg": (
        "photo.jpg",
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00" + b"\x00" * 32,
        "image/jpeg",
    ),
    "txt": (
        "notes.txt",
        "Протокол зустрічі\nMötet 2 december\n".encode(),
        "text/plain; charset=utf-8",
    ),
    "csv": ("pipes.csv", b"district;km\nDarnytskyi;12\n", "text/csv; charset=utf-8"),
    "dwg": ("pump.dwg", b"AC1032" + b"\x00" * 64, "image/vnd.dwg"),
    "dxf": ("site.dxf", b"  0\nSECTION\n  2\nHEADER\n  0\nENDSEC\n  0\nEOF\n", "image/vnd.dxf"),
}

# (file name, content) of refused files: the name says what they pretend to be.
REFUSED = {
    "program": ("plan.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 64),
    "gif": ("map.png", b"GIF89a\x01\x00\x01\x00\x80\x00\x00" + b"\x00" * 16),
    "plain zip": ("report.docx", _zip([("word/document.xml", b"<x/>")])),
    "macro document": (
        "report.docx",
        _ooxml("application/vnd.ms-word.document.macroEnabled.main+xml", "word/document.xml"),
    ),
    "old word": ("report.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64),
    "latin-1 text": ("notes.txt", "Café, Malmö".encode("latin-1")),
    "binary": ("data.csv", b"a,b\n\x00\x01\x02"),
    "presentation odp": ("slides.odt", _odf("application/vnd.oasis.opendocument.presentation")),
}
