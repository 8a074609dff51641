"""The journey's English check can fail: it finds English pages, reasons and buttons, and lets
names, brand words and addresses through."""

from __future__ import annotations

import re

from tests.i18n.english import COMMON_ENGLISH, assert_no_english, english_words


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style|head)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_an_english_page_fails_the_check(client):
    page = _visible(client.get("/?lang=en").get_data(as_text=True))
    found = {word.lower() for word in english_words(page)}
    assert {"free", "guide", "specialist", "advocate"} <= found, found
    try:
        assert_no_english(page, "the English landing page")
    except AssertionError as failure:
        assert "English on the English landing page" in str(failure)
    else:
        raise AssertionError("an English page passed the check")


def test_the_spanish_landing_page_passes_it(client):
    page = _visible(client.get("/?lang=es").get_data(as_text=True))
    assert english_words(page) == []


def test_one_english_reason_or_button_in_spanish_text_is_found():
    spanish = "Por qué aparece: Offers clinical trials. Habla español."
    assert english_words(spanish) == ["Offers", "clinical", "trials"]
    assert english_words("Quiero que me llamen · Call me back") == ["Call", "back"]
    assert english_words("Página no encontrada. Not Found") == ["Not", "Found"]


def test_names_brand_words_and_addresses_are_not_english():
    text = (
        "Mesothelioma Patient Support · Dr. Daniel Strand, MD · Westbrook Cancer Center, "
        "Rochester, MN · HIPEC · P/D · EPP · el VA · PDF · ayuda@example.org · "
        "https://westbrook-cancer-center.example.org/ · westbrook.example.org"
    )
    assert english_words(text) == []


def test_the_small_words_of_english_are_found_whatever_the_spanish_writing_says():
    """Even if an English sentence slipped into a Spanish template (whose words the check
    otherwise takes as Spanish), its small words give it away."""
    sentence = "If you would like to talk, a patient advocate can call you back."
    assert set(english_words(sentence)) >= {"you", "would", "to", "can", "call", "back"}
    assert all(english_words(word) == [word] for word in COMMON_ENGLISH)


def test_a_reference_code_is_not_english_though_its_letters_spell_a_word():
    """References are base32: CI once met "2-667WE" on the Spanish thanks page."""
    assert english_words("Su número de referencia: 2-667WE. Gracias.") == []
    assert english_words("Su número de referencia: 1042-OFTEN.") == []
    assert english_words("Referencia 2-667WE: we will call you back.")[:2] == ["we", "will"]
