"""Which files the portal accepts, decided by their content, never by their name.

PDF, PNG, JPEG and DWG by their magic bytes (the ``filetype`` library); DOCX, XLSX and PPTX are
ZIP archives whose ``[Content_Types].xml`` names the main part's OOXML content type; ODT and ODS
are ZIP archives whose first entry ``mimetype`` names the OpenDocument type; DXF by its header
(text or binary); plain text and CSV must be valid UTF-8 without NUL bytes (the name decides only
whether text is served as CSV). Each accepted type is served with its own fixed Content-Type.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype


@dataclass(frozen=True)
class FileType:
    code: str
    content_type: str
    extensions: tuple[str, ...]


def _t(code: str, content_type: str, *extensions: str) -> FileType:
    return FileType(code, content_type, extensions)


OOXML = "application/vnd.openxmlformats-officedocument."
TYPES = {
    t.code: t
    for t in (
        _t("pdf", "application/pdf", "pdf"),
        _t("docx", OOXML + "wordprocessingml.document", "docx"),
        _t("xlsx", OOXML + "spreadsheetml.sheet", "xlsx"),
        _t("pptx", OOXML + "presentationml.presentation", "pptx"),
        _t("odt", "application/vnd.oasis.opendocument.text", "odt"),
        _t("ods", "application/vnd.oasis.opendocument.spreadsheet", "ods"),
        _t("png", "image/png", "png"),
        _t("jpeg", "image/jpeg", "jpg", "jpeg"),
        _t("txt", "text/plain; charset=utf-8", "txt", "text", "md"),
        _t("csv", "text/csv; charset=utf-8", "csv"),
        _t("dwg", "image/vnd.dwg", "dwg"),
        _t("dxf", "image/vnd.dxf", "dxf"),
    )
}
# The main part's content type in [Content_Types].xml → the OOXML kind.
_OOXML_MAIN = {
    OOXML + "wordprocessingml.document.main+xml": "docx",
    OOXML + "wordprocessingml.template.main+xml": "docx",
    "application/vnd.ms-word.document.macroEnabled.main+xml": None,  # macros: refused
    OOXML + "spreadsheetml.sheet.main+xml": "xlsx",
    OOXML + "presentationml.presentation.main+xml": "pptx",
}
_ODF = {
    b"application/vnd.oasis.opendocument.text": "odt",
    b"application/vnd.oasis.opendocument.spreadsheet": "ods",
}
_CONTENT_TYPES_LIMIT = 1024 * 1024
_TEXT_DXF = re.compile(rb"^\s*0\s*\r?\n\s*SECTION\s*\r?\n", re.ASCII)
_BINARY_DXF = b"AutoCAD Binary DXF\r\n\x1a\x00"


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if names and names[0] == "mimetype":
                with archive.open("mimetype") as f:
                    return _ODF.get(f.read(100).strip())
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as f:
                    declared = f.read(_CONTENT_TYPES_LIMIT).decode("utf-8", "replace")
                for content_type, kind in _OOXML_MAIN.items():
                    if f'ContentType="{content_type}"' in declared:
                        return kind
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, NotImplementedError):
        return None
    return None


def _is_utf8_text(path: Path) -> bool:
    decoder_input = path.read_bytes()
    if b"\x00" in decoder_input:
        return False
    try:
        decoder_input.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def detect(path: Path, filename: str) -> FileType | None:
    """The accepted type of the file at ``path``, or None when the portal does not take it."""
    with path.open("rb") as f:
        head = f.read(8192)
    if not head:
        return None
    if head.startswith(b"PK\x03\x04"):
        kind = _zip_kind(path)
        return TYPES[kind] if kind else None
    if head.startswith(_BINARY_DXF):
        return TYPES["dxf"]
    guessed = filetype.guess(head)
    if guessed is not None:
        code = {"pdf": "pdf", "png": "png", "jpg": "jpeg", "dwg": "dwg"}.get(guessed.extension)
        return TYPES[code] if code else None
    if not _is_utf8_text(path):
        return None
    if _TEXT_DXF.match(head):
        return TYPES["dxf"]
    if filename.lower().endswith(".csv"):
        return TYPES["csv"]
    return TYPES["txt"]


def safe_filename(filename: str, kind: FileType) -> str:
    """The uploaded name without any path or control characters, ending in the type's own
    extension (added when the name has another)."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"]", "", name).strip(" .") or "document"
    stem, _dot, extension = name.rpartition(".")
    if not stem or extension.lower() not in kind.extensions:
        name = f"{name}.{kind.extensions[0]}"
    return name[-200:]
