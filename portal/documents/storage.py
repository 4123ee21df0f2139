"""Where document files live: a directory outside the web root (``FILES_DIR``, by default
``instance/files``; on several app servers the same path on a shared volume), each file named by
its sha256 (``ab/cd/abcd…``), so that a file uploaded twice is stored once and a name never
changes its content.

A file is first written to a temporary file in the same directory tree (``tmp/``) while its hash
and size are counted, checked and scanned there, and only then moved into place with an atomic
rename; the database refers to it after that. A file never half written is ever served.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app

CHUNK = 64 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class TooLarge(Exception):
    """The file is larger than MAX_DOCUMENT_BYTES."""


def files_dir() -> Path:
    return Path(current_app.config["FILES_DIR"])


def path_of(sha256: str, root: Path | None = None) -> Path:
    if not _SHA256.match(sha256):
        raise ValueError("not a sha256")
    return (root or files_dir()) / sha256[:2] / sha256[2:4] / sha256


@dataclass
class StagedFile:
    """A file written to the temporary area, not yet in place."""

    path: Path
    sha256: str
    size: int

    def head(self, length: int = 8192) -> bytes:
        with self.path.open("rb") as f:
            return f.read(length)

    def keep(self) -> Path:
        """Move the file into its place (atomically); the same content already there stays."""
        target = path_of(self.sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            self.discard()
            # Young again: an unreferenced copy (an earlier upload rolled back) is not swept
            # while this upload's transaction is still open.
            os.utime(target)
        else:
            os.replace(self.path, target)
        return target

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


def stage(stream: BinaryIO, max_bytes: int) -> StagedFile:
    """Copy ``stream`` into the temporary area, counting its hash; ``TooLarge`` past
    ``max_bytes`` (nothing is left behind)."""
    tmp = files_dir() / "tmp"
    tmp.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(dir=tmp, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge()
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StagedFile(path, digest.hexdigest(), size)


def stored_files(older_than: float) -> Iterator[tuple[str, Path]]:
    """The stored files last written before ``older_than`` (a POSIX time): (sha256, path)."""
    for path in files_dir().glob("??/??/*"):
        if _SHA256.match(path.name) and path.is_file() and path.stat().st_mtime < older_than:
            yield path.name, path


def staged_files(older_than: float) -> Iterator[Path]:
    """Temporary files of uploads that never finished (their process died) before then."""
    for path in (files_dir() / "tmp").glob("upload-*"):
        if path.is_file() and path.stat().st_mtime < older_than:
            yield path


def store_bytes(content: bytes) -> str:
    """Store ``content`` at once (demo data, restores); its sha256."""
    import io

    staged = stage(io.BytesIO(content), len(content))
    staged.keep()
    return staged.sha256


def open_file(sha256: str) -> BinaryIO:
    return path_of(sha256).open("rb")
