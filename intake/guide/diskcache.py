"""Files shared by a host's worker processes: the bodies and day bases, named by key."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path


class DiskCache:
    """A folder of files named by a digest of their key and a suffix each (none: no cache)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder

    def path(self, key: str, suffix: str) -> Path | None:
        """Where the file for ``key`` and ``suffix`` lives."""
        if self.folder is None:
            return None
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:24] + suffix)

    def read(self, key: str, *suffixes: str) -> list[bytes] | None:
        """The files a key was written to, or None if any is missing."""
        paths = [self.path(key, suffix) for suffix in suffixes]
        try:
            return [path.read_bytes() for path in paths if path is not None] if all(paths) else None
        except FileNotFoundError:  # not written yet, or pruned meanwhile
            return None

    def write(self, key: str, files: dict[str, bytes]) -> None:
        """Write each atomically, in order (the PDF last), so a reader never sees half of them."""
        for suffix, data in files.items():
            path = self.path(key, suffix)
            if path is None:
                return
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)

    def prune_before(self, name: str) -> None:
        """Remove the folders beside this one whose names sort before ``name`` (older days)."""
        if self.folder is None or not self.folder.parent.exists():
            return
        for sibling in self.folder.parent.iterdir():
            if sibling.is_dir() and sibling.name < name:
                shutil.rmtree(sibling, ignore_errors=True)
