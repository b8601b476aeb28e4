"""Document bytes on disk, under the document directory and nowhere a web server publishes.

A file is named only by a random key, never by anything a person typed, so no filename can
reach the filesystem. Bytes are streamed to a temporary file beside their final place and
renamed into it, so a half-written upload is never visible under a key, and an upload that
grows past the size cap is stopped at that point and removed.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from portal.settings import PROJECT_ROOT, get_settings

CHUNK_BYTES = 64 * 1024
# Enough of the start of a file to recognise its type (a PDF header may sit after junk).
HEAD_BYTES = 1024
_KEY_RE = re.compile(r"^[0-9a-f]{32,64}$")


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class TooLarge(Exception):
    """The stream went past the cap; what was written of it is already gone."""

    def __init__(self, limit: int):
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class BadKey(ValueError):
    """A key that we could not have made; it is never turned into a path."""


@dataclass(frozen=True)
class Stored:
    key: str
    size_bytes: int
    sha256: str
    head: bytes


def new_key() -> str:
    return secrets.token_hex(16)


def _public_upload_dir() -> Path:
    """Reflex serves this folder to anyone who asks, so documents must never land in it."""
    raw = os.environ.get("REFLEX_UPLOADED_FILES_DIR", "").strip()
    return (Path(raw) if raw else PROJECT_ROOT / "uploaded_files").resolve()


def root() -> Path:
    directory = get_settings().document_dir
    public = _public_upload_dir()
    if directory == public or directory.is_relative_to(public):
        raise RuntimeError(
            f"PORTAL_DOCUMENT_DIR ({directory}) is inside Reflex's public upload folder "
            f"({public}); choose a private directory."
        )
    return directory


def _check(key: str) -> str:
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise BadKey("not a storage key")
    return key


def path_for(key: str) -> Path:
    """Where a key's bytes live. The key is checked before any path is built from it."""
    key = _check(key)
    return root() / key[:2] / key


def save(stream: Readable, *, max_bytes: int) -> Stored:
    """Copy a stream to a new key, hashing and counting as it goes.

    Raises TooLarge as soon as more than `max_bytes` have arrived; nothing is left behind.
    """
    key = new_key()
    final = path_for(key)
    final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, temp_name = tempfile.mkstemp(dir=final.parent, prefix=".incoming-", suffix=".part")
    hasher = hashlib.sha256()
    size = 0
    head = b""
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK_BYTES)
                if not chunk:
                    break
                chunk = bytes(chunk)
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(max_bytes)
                if len(head) < HEAD_BYTES:
                    head += chunk[: HEAD_BYTES - len(head)]
                hasher.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, final)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return Stored(key=key, size_bytes=size, sha256=hasher.hexdigest(), head=head)


def open_path(key: str) -> Path:
    """The file behind a key, for streaming it out. FileNotFoundError when it is gone."""
    path = path_for(key)
    if not path.is_file():
        raise FileNotFoundError(key)
    return path


def delete(key: str) -> bool:
    """Remove a key's bytes; True when there was something to remove."""
    try:
        path_for(key).unlink()
    except FileNotFoundError:
        return False
    return True
