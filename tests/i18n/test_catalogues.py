"""Every string a patient reads has its Spanish: the catalogue test, and proof it can fail."""

from __future__ import annotations

import shutil
from pathlib import Path

from intake.catalogues import compile_stale, extracted_messages, untranslated

ROOT = Path(__file__).resolve().parents[2]


def test_every_extracted_string_has_its_spanish() -> None:
    found = extracted_messages(ROOT)
    assert len(found) > 20, "the extraction found almost nothing: is babel.cfg read?"
    missing = untranslated(ROOT, "es")
    assert not missing, (
        f"{len(missing)} strings without Spanish (run scripts/translations): {missing[:10]}"
    )


def test_the_check_fails_for_a_new_untranslated_string(tmp_path: Path) -> None:
    """A copy of the catalogue set-up with one new marked string: the check names it."""
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    (tmp_path / "templates" / "public").mkdir(parents=True)
    (tmp_path / "templates" / "public" / "new.html").write_text(
        '<p>{{ _("A sentence nobody translated yet") }}</p>'
        "<p>{% trans %}Mesothelioma Patient Support{% endtrans %}</p>"
    )
    assert untranslated(tmp_path, "es") == ["A sentence nobody translated yet"]


def test_a_fuzzy_or_empty_translation_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "babel.cfg").write_text("[jinja2: templates/**.html]\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "a.html").write_text('{{ _("Free guide") }}{{ _("Call us:") }}')
    po = tmp_path / "translations" / "es" / "LC_MESSAGES"
    po.mkdir(parents=True)
    (po / "messages.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        '#, fuzzy\nmsgid "Free guide"\nmsgstr "Guía gratuita"\n\n'
        'msgid "Call us:"\nmsgstr ""\n'
    )
    assert untranslated(tmp_path, "es") == ["Call us:", "Free guide"]


def test_catalogues_compile_when_stale_and_not_again(tmp_path: Path) -> None:
    shutil.copytree(
        ROOT / "translations", tmp_path / "translations", ignore=shutil.ignore_patterns("*.mo")
    )
    written = compile_stale(tmp_path / "translations")
    assert [path.name for path in written] == ["messages.mo"]
    assert compile_stale(tmp_path / "translations") == []


def test_words_in_the_macros_folder_are_extracted_too(tmp_path: Path) -> None:
    """Babel skips folders named "_..." by default; templates/_macros holds the error summary."""
    shutil.copy(ROOT / "babel.cfg", tmp_path / "babel.cfg")
    shutil.copytree(ROOT / "translations", tmp_path / "translations")
    (tmp_path / "templates" / "_macros").mkdir(parents=True)
    (tmp_path / "templates" / "_macros" / "new.html").write_text('{{ _("Said in a macro") }}')
    assert untranslated(tmp_path, "es") == ["Said in a macro"]
    assert "Your request was not sent yet" in extracted_messages(ROOT)
