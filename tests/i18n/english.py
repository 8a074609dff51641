"""Finds English words in text a Spanish reader is shown: a page, an email part, a PDF's text.

What counts as English: the words of our own English writing (the catalogue's
msgids, the English emails and guide pages, the English words of the guide's
drawn pages) that our Spanish writing never uses ("no", "video", "hospital"
are both), and the small words every English sentence has, which no Spanish
sentence does ("the", "you", "with"): those catch English that slipped into
the Spanish writing itself. Names and brand words are not
English here: the people, places and institutions of the demo listings, the
organisation's name, "VA", "PDF", the procedures' short names, email addresses
and web addresses are taken out of the text before it is read.
"""

from __future__ import annotations

import csv
import re
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "translations" / "es" / "LC_MESSAGES" / "messages.po"

# brand words and abbreviations a Spanish text keeps as they are
BRAND_WORDS = (
    "Mesothelioma Patient Support",
    "VA",
    "PDF",
    "HIPEC",
    "PIPAC",
    "P/D",
    "EPP",
    "MD",
    "DO",
    "PhD",
    "Dr.",
    "English",  # the language switch names each language in its own words
    # US programs' own English names, which the Spanish guide gives beside its words so a
    # reader knows them on a form or a phone call
    "Extra Help",
    "intent to file",
    "Aid and Attendance",
)
# words that are never Spanish: always English, even where our Spanish writing itself slipped
# into English (that writing is what is checked); nearly every English sentence has a few
COMMON_ENGLISH = re.findall(
    r"\w+",
    """
    the and you your we our us of for with to from is are was be been this that these those it
    its what which who when where why how please thank thanks call back near here there
    not only more less can will would should could may might do does did have has had get got
    free guide email emails unsubscribe delete privacy page found forbidden server request
    try again later sorry yes help specialist specialists doctors offers treats speaks
    clinical trials surgery stage about home next step steps link button send sent
""",
)
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:org|com|net|gov|edu)(?:/\S*)?", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A request's reference ("2-667WE", intake/services/inbox/references.py) is a code read out on
# the phone; its letters are base32, and may spell "WE" or "OF" by chance.
_REFERENCE = re.compile(r"(?<![\w-])\d{1,12}-[A-Z2-7]{5}(?![\w-])")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# template code, tags and a message's placeholders are not words anybody reads
_TAG = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}|<[^>]+>|%\(\w+\)[sd]|{\w+}", re.S)


def _words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


def _template_text(path: Path) -> str:
    return _TAG.sub(" ", path.read_text(encoding="utf-8"))


def _drawn_words(language: str) -> str:
    """The guide's "Specialists near you" words, kept in Python for both ways of drawing it."""
    from intake.guide.matches_text import _WORDS

    return " ".join(_WORDS[language].values())


@lru_cache(maxsize=1)
def names() -> tuple[str, ...]:
    """Every proper name a page may show: brand words, then the demo listings' people and places.

    Longest first, so "Westbrook Cancer Center" goes before "Westbrook".
    """
    from intake.vocab import US_STATES

    found: set[str] = set(BRAND_WORDS) | set(US_STATES)  # "New Haven, CT"
    with (ROOT / "data" / "specialists_demo.csv").open(encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            for column in ("first_name", "last_name", "institution", "address", "city"):
                if row[column]:
                    found.add(row[column])
    return tuple(sorted(found, key=len, reverse=True))


@lru_cache(maxsize=1)
def english_only() -> frozenset[str]:
    """Words of our English writing that our Spanish writing never uses."""
    with CATALOGUE.open("rb") as po:
        catalogue = read_po(po)
    english, spanish = [], []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strs = message.string if isinstance(message.string, tuple) else (message.string,)
        english.extend(_TAG.sub(" ", s) for s in ids)
        spanish.extend(_TAG.sub(" ", s) for s in strs if s)
    templates = ROOT / "templates"
    english += [_template_text(p) for p in (templates / "guide" / "en").glob("*.html")]
    english += [_template_text(p) for p in (templates / "emails").glob("*.en.*")]
    spanish += [_template_text(p) for p in (templates / "guide" / "es").glob("*.html")]
    spanish += [_template_text(p) for p in (templates / "emails").glob("*.es.*")]
    english.append(_drawn_words("en"))  # (never the Spanish ones: they are what is checked)
    spoken = _words(_without_names(" ".join(spanish)))
    written = _words(_without_names(" ".join(english)))
    return frozenset(written - spoken) | frozenset(COMMON_ENGLISH)


def _without_names(text: str, also: tuple[str, ...] = ()) -> str:
    text = _EMAIL.sub(" ", text)
    text = _REFERENCE.sub(" ", text)
    text = _URL.sub(" ", text)
    for name in (*also, *names()):  # a name may break across lines, as on a PDF page
        spaced = r"\s+".join(re.escape(part) for part in name.split())
        text = re.sub(rf"(?<!\w){spaced}(?!\w)", " ", text)
    return text


def english_words(text: str, also: tuple[str, ...] = ()) -> list[str]:
    """The English words in ``text``, in order (names, brand words, addresses and ``also``
    left out: the sender's postal address, say)."""
    english = english_only()
    return [w for w in _WORD.findall(_without_names(text, also)) if w.lower() in english]


def assert_no_english(text: str, where: str, also: tuple[str, ...] = ()) -> None:
    """Fail naming the English words and the lines they are on."""
    found = english_words(text, also)
    if found:
        lines = [line.strip() for line in text.splitlines() if english_words(line, also)]
        raise AssertionError(f"English on {where}: {sorted(set(found))}\n" + "\n".join(lines))
