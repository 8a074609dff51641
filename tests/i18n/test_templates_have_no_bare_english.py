"""A public template holds no English outside the catalogue: every word a reader sees is marked.

The template's source is read the way a translator's tool reads it: the
`{% trans %}` blocks and `_()` calls are in the catalogue (the catalogue
test checks each has its Spanish); whatever words remain between the tags,
or in an attribute a reader hears or sees (`alt`, `title`, `placeholder`,
`aria-label`, a button's `value`), are English nobody will translate.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STAFF_ONLY = frozenset({"staff_error.html"})  # staff pages speak English (PRODUCT.md section 8)
PUBLIC_TEMPLATES = sorted(
    path
    for path in [
        *(ROOT / "templates" / "public").glob("*.html"),
        *(ROOT / "templates" / "errors").glob("*.html"),
        ROOT / "templates" / "base.html",
        ROOT / "templates" / "_macros" / "forms.html",
    ]
    if path.name not in STAFF_ONLY
)
READ_ATTRIBUTES = frozenset({"alt", "title", "placeholder", "aria-label", "value", "content"})
# Words that are the same in both languages: our name and what only a machine reads.
ALLOWED = frozenset({"Mesothelioma Patient Support"})
WORD = re.compile(r"[A-Za-zÀ-ÿ]{2,}")
STRING = re.compile(r"""(_\(|gettext\(|ngettext\()?\s*(["'])((?:(?!\2).)*)\2""")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


def bare_literals(source: str) -> list[str]:
    """Sentences written as string literals inside tags (a macro's `hint="..."`), unmarked."""
    found = []
    for tag in JINJA.findall(source):
        for marked, _quote, text in STRING.findall(tag):
            if not marked and " " in text.strip() and WORD.search(text):
                found.append(f'"{text}"')
    return found


def bare_text(source: str) -> list[str]:
    """The reader-facing words in a template that are not marked for translation."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    source = re.sub(r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}", " ", source, flags=re.S)
    found: list[str] = bare_literals(source)
    source = re.sub(r"\{\{.*?\}\}", " ", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", " ", source, flags=re.S)
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)

    class Reader(HTMLParser):
        def handle_data(self, data: str) -> None:
            if WORD.search(data) and data.strip() not in ALLOWED:
                found.append(" ".join(data.split()))

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            for name, value in attrs:
                if name in READ_ATTRIBUTES and value and WORD.search(value):
                    if tag == "meta" and name == "content":
                        continue  # viewport and charset settings, not words
                    found.append(f'{tag}[{name}="{value}"]')

    Reader().feed(source)
    return found


@pytest.mark.parametrize("template", PUBLIC_TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_public_template_has_no_bare_english(template: Path) -> None:
    leftover = bare_text(template.read_text(encoding="utf-8"))
    assert not leftover, f"English outside the catalogue in {template.name}: {leftover[:8]}"


def test_the_reader_finds_bare_words_and_ignores_marked_ones() -> None:
    source = (
        '<h1>{{ _("Marked") }}</h1><p>Bare words</p>{% trans %}Also marked{% endtrans %}'
        '<img alt="A bare picture"><input value="{{ _(\'ok\') }}">{# a comment #}'
        '<button aria-label="Close">x</button>'
        '{{ f.text(form.email, hint="A bare hint", autocomplete="email") }}'
        '{{ f.text(form.zip, hint=_("A marked hint")) }}'
    )
    assert bare_text(source) == [
        '"A bare hint"',
        "Bare words",
        'img[alt="A bare picture"]',
        'button[aria-label="Close"]',
    ]
