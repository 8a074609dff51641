"""The message catalogues: Spanish for every public page, compiled from the `.po` in the repo.

The compiled `.mo` files are never committed (a stale one would show old
words): they are built from the `.po` when missing or older, at install
(the Dockerfile) and at start (`create_app`), atomically so two processes
starting together never read half a file.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES: tuple[str, ...] = ("en", "es")
DEFAULT_LANGUAGE = "en"
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Español"}


def catalogue_paths(translations: Path) -> list[tuple[Path, Path]]:
    """Each language's (`.po`, `.mo`) pair under `translations/<lang>/LC_MESSAGES/`."""
    pairs = []
    for po in sorted(translations.glob("*/LC_MESSAGES/messages.po")):
        pairs.append((po, po.with_suffix(".mo")))
    return pairs


def compile_stale(translations: Path) -> list[Path]:
    """Compile every `.po` whose `.mo` is missing or older; return the `.mo` files written."""
    written = []
    for po, mo in catalogue_paths(translations):
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalogue = read_po(source, locale=po.parent.parent.name)
        handle, temporary = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(handle, "wb") as target:
                write_mo(target, catalogue, use_fuzzy=False)
            os.replace(temporary, mo)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written.append(mo)
    return written


EXTRACT_KEYWORDS = {
    "_": None,
    "gettext": None,
    "_l": None,
    "lazy_gettext": None,
    "ngettext": (1, 2),
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
}


# Babel skips folders named "_..." unless told otherwise, and templates/_macros holds words too.
IGNORED_FOLDERS = (".*", "__pycache__", "node_modules")


def read_folder(path: str) -> bool:
    """Whether extraction looks inside a folder: all but hidden ones and caches."""
    from fnmatch import fnmatch

    name = os.path.basename(path)
    return not any(fnmatch(name, pattern) for pattern in IGNORED_FOLDERS)


def extracted_messages(root: Path) -> set[str]:
    """Every string `babel.cfg` marks for translation under `root` (plural forms included)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (root / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found: set[str] = set()
    for _filename, _line, message, _comments, _context in extract_from_dir(
        str(root), method_map, options_map, keywords=EXTRACT_KEYWORDS, directory_filter=read_folder
    ):
        if isinstance(message, tuple):
            found.update(part for part in message if part)
        elif message:
            found.add(message)
    return found


def untranslated(root: Path, language: str) -> list[str]:
    """Extracted strings the language's `.po` lacks, leaves empty, or marks fuzzy."""
    po = root / "translations" / language / "LC_MESSAGES" / "messages.po"
    translated: set[str] = set()
    if po.exists():
        with po.open("rb") as source:
            catalogue = read_po(source, locale=language)
        for message in catalogue:
            if not message.id or message.fuzzy:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            translated.update(str(one) for one in ids)
    return sorted(extracted_messages(root) - translated)
