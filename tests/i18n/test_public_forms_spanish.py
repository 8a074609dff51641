"""Every public form in Spanish: the page, its errors, its thank-you page and the consent kept.

A form shown with ``?lang=es`` speaks Spanish from its heading to its last
error; a valid Spanish submission lands sealed like an English one, and the
consent ledger records the Spanish words the person read, under a version of
their own (an English version would claim they agreed to words they never saw).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from intake.models import CallbackRequest, ConsentRecord, GuideRequest, Submission
from intake.services.email import unsubscribe
from intake.services.people import consent
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, field_errors, process_received, submit
from tests.views.conftest import csrf_token

ROOT = Path(__file__).resolve().parents[2]
NY = ZoneInfo("America/New_York")
_SHOWN_IN = re.compile(r'<input id="shown_in" name="shown_in" type="hidden" value="([^"]*)">')


def english_sentences() -> set[str]:
    """Every catalogue sentence whose Spanish differs from its English (three words or more)."""
    with (ROOT / "translations/es/LC_MESSAGES/messages.po").open("rb") as source:
        catalogue = read_po(source, locale="es")
    found = set()
    for message in catalogue:
        english = message.id if isinstance(message.id, str) else message.id[0]
        spanish = message.string if isinstance(message.string, str) else message.string[0]
        if english and spanish != english and len(english.split()) >= 3 and "%(" not in english:
            found.add(re.sub(r"<[^>]+>", "", english))
    return found


ENGLISH = english_sentences()


def visible_text(html: str) -> str:
    """What a reader sees: no tags, scripts or styles, entities decoded, spaces collapsed."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(a|strong|em|span|abbr)\b[^>]*>", "", html)  # inside a sentence
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def assert_spanish_page(html: str) -> str:
    """The page says it is Spanish and shows none of the catalogue's English sentences."""
    assert '<html lang="es">' in html
    text = visible_text(html)
    leftover = sorted(sentence for sentence in ENGLISH if sentence in text)
    assert not leftover, f"English on a Spanish page: {leftover[:5]}"
    return text


def radio_checked(html: str, name: str) -> str | None:
    for tag in re.findall(rf'<input[^>]*name="{name}"[^>]*>', html):
        if "checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


def selected(html: str, name: str) -> str | None:
    select_html = re.search(rf'<select[^>]*name="{name}".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option selected value="([^"]*)"', select_html)
    return chosen.group(1) if chosen else None


def ledger(db_session) -> dict[str, ConsentRecord]:
    return {row.purpose: row for row in db_session.scalars(select(ConsentRecord))}


def test_the_check_finds_english_left_on_a_spanish_page() -> None:
    assert "Please tick the box so we are allowed to call you." in ENGLISH
    with pytest.raises(AssertionError, match="English on a Spanish page"):
        assert_spanish_page('<html lang="es"><p>Please tick the box so we are allowed to call you.')


# -- the guide ----------------------------------------------------------------------------


def test_the_guide_form_in_spanish_preselects_the_spanish_guide(client, db_session):
    html = client.get("/guide?lang=es").get_data(as_text=True)
    text = assert_spanish_page(html)
    assert "Reciba la guía gratuita sobre el mesotelioma" in text
    assert '<label for="first_name">Nombre</label>' in html
    assert "¿Para quién es la guía?" in text and "Soy el/la paciente" in text
    assert "Código postal del paciente" in text and "Elija si lo sabe" in text
    assert consent.GUIDE_FOLLOWUP_CONSENT_ES.text in html
    assert consent.GUIDE_EMAIL_CONSENT_ES.text in html
    assert consent.GUIDE_EMAIL_CONSENT.text not in html
    assert radio_checked(html, "language") == "es"
    assert _SHOWN_IN.search(html).group(1) == "es"
    english = client.get("/guide?lang=en").get_data(as_text=True)
    assert radio_checked(english, "language") == "en"


def test_guide_errors_are_spanish_at_their_fields_and_in_the_summary(client, db_session):
    response = submit(
        client, "/guide?lang=es", GOOD_GUIDE,
        first_name="", email="not an address", topics=None, last_name="x" * 81,
    )  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert_spanish_page(html)
    assert field_errors(response) == [
        "Por favor, escriba su nombre.",
        "El campo no puede tener más de 80 caracteres.",  # WTForms' own, in its Spanish
        "Por favor, escriba un correo electrónico como nombre@example.com.",
        "Por favor, elija al menos un tema.",
    ]
    assert "Por favor, revise estas 4 respuestas" in html
    assert "<title>Error: Recibir la guía gratuita" in html
    assert 'value="not an address"' in html  # what was typed is kept
    assert db_session.scalar(select(Submission.id)) is None


def test_one_spanish_error_is_one_answer_to_check(client, db_session):
    response = submit(client, "/guide?lang=es", GOOD_GUIDE, postal_zip="33101", deliver_mail="y",
                      address_line1="1 Calle Ocho", city="Miami", state="CA")  # fmt: skip
    assert field_errors(response) == [
        "El código postal 33101 está en FL, no en CA. "
        "Por favor, revise el código postal o el estado."
    ]
    assert "Por favor, revise esta respuesta" in response.get_data(as_text=True)


def test_a_spanish_guide_request_lands_with_the_spanish_consent_and_thanks(client, db_session):
    response = submit(client, "/guide?lang=es", GOOD_GUIDE, followup_emails="y", process=False)
    assert response.status_code == 303
    assert "lang=es" in response.headers["Location"]
    sealed = db_session.scalars(select(Submission)).one()
    assert sealed.payload["consent"] == {
        "guide_email": "guide-email-2026-12-05-es",
        "followup_emails": "followup-email-guide-2026-12-05-es",
    }
    assert process_received(client.application) == []

    request = db_session.scalars(select(GuideRequest)).one()
    assert request.language == "es", "asked on the Spanish page: the Spanish guide"
    grants = ledger(db_session)
    for purpose, wording in (
        ("guide_email", consent.GUIDE_EMAIL_CONSENT_ES),
        ("followup_emails", consent.GUIDE_FOLLOWUP_CONSENT_ES),
    ):
        assert grants[purpose].text_version == wording.version
        assert grants[purpose].text_sha256 == wording.sha256

    thanks = client.get(response.headers["Location"], headers={"Cookie": ""})
    text = assert_spanish_page(thanks.get_data(as_text=True))
    assert "Gracias, su guía va en camino" in text
    assert "Su número de referencia:" in text


def test_the_guide_language_chosen_on_the_spanish_page_is_kept(client, db_session):
    submit(client, "/guide?lang=es", GOOD_GUIDE, language="en")
    assert db_session.scalars(select(GuideRequest)).one().language == "en"


# -- the callback -------------------------------------------------------------------------


def test_the_callback_form_in_spanish_asks_for_the_call_in_spanish(client, db_session):
    html = client.get("/callback?lang=es").get_data(as_text=True)
    text = assert_spanish_page(html)
    assert "Hablar con un defensor de pacientes" in text
    assert '<label for="phone">Número de teléfono</label>' in html
    assert "Lo usamos para llamarle a una buena hora donde usted vive." in text
    assert consent.CALLBACK_CONSENT_ES.text in html and consent.CALLBACK_CONSENT.text not in html
    assert selected(html, "language") == "es"
    assert "Llámenme, por favor" in text


def test_callback_errors_are_spanish(client, db_session):
    response = submit(client, "/callback?lang=es", GOOD_CALLBACK, consent_calls=None, phone="12345")
    assert response.status_code == 400
    assert_spanish_page(response.get_data(as_text=True))
    assert field_errors(response) == [
        "Por favor, escriba un número de teléfono de EE. UU. con código de área, "
        "como 212-555-0123.",
        "Por favor, marque la casilla para que podamos llamarle.",
    ]


def test_a_spanish_callback_lands_and_its_thanks_says_when_in_spanish(
    client, db_session, monkeypatch
):
    from intake.services.queue import waiting

    response = submit(client, "/callback?lang=es", GOOD_CALLBACK)  # "es", as preselected
    assert response.status_code == 303 and "lang=es" in response.headers["Location"]
    request = db_session.scalars(select(CallbackRequest)).one()
    assert request.language == "es"
    grants = ledger(db_session)
    assert grants["advocate_calls"].text_version == consent.CALLBACK_CONSENT_ES.version
    assert grants["advocate_calls"].text_sha256 == consent.CALLBACK_CONSENT_ES.sha256
    assert grants["followup_emails"].text_version == consent.FOLLOWUP_EMAIL_CONSENT_ES.version

    night = datetime(2026, 11, 3, 22, 15, tzinfo=NY)
    monkeypatch.setattr(waiting, "utcnow", lambda: night.astimezone(UTC))
    thanks = client.get(response.headers["Location"])
    text = assert_spanish_page(thanks.get_data(as_text=True))
    assert "Gracias, le llamaremos" in text
    assert (
        "Donde usted está son las 10:15 p.m., así que un defensor de pacientes le llamará "
        "mañana a partir de las 8:00 a.m., su hora local." in text
    )
    assert "Llamaremos al (•••) •••-0143, el número que nos dio." in text


def test_one_o_clock_is_said_in_the_singular(client, db_session, monkeypatch):
    from intake.services.queue import waiting

    response = submit(client, "/callback?lang=es", GOOD_CALLBACK, best_time="afternoon")
    early = datetime(2026, 11, 3, 1, 5, tzinfo=NY)
    monkeypatch.setattr(waiting, "utcnow", lambda: early.astimezone(UTC))
    text = visible_text(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Donde usted está es la 1:05 a.m., así que" in text
    assert "hoy a partir de las 12:00 p.m., su hora local" in text


def test_the_ledger_keeps_the_words_the_page_showed_whatever_answers_the_post(client, db_session):
    """Shown in Spanish, answered in English (the cookie changed in another tab): Spanish kept."""
    page = client.get("/callback?lang=es").get_data(as_text=True)
    fields = {
        "csrf_token": re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1),
        "submission_key": re.search(
            r'name="submission_key" type="hidden" value="([^"]+)"', page
        ).group(1),
        "shown_in": _SHOWN_IN.search(page).group(1),
    }
    client.get("/?lang=en")
    response = client.post("/callback", data={**GOOD_CALLBACK, **fields})
    assert response.status_code == 303
    assert "lang=es" in response.headers["Location"], "thanks in the language of the form"
    assert process_received(client.application) == []
    grant = ledger(db_session)["advocate_calls"]
    assert grant.text_version == consent.CALLBACK_CONSENT_ES.version


def test_a_posted_language_we_do_not_speak_falls_back_to_the_page(client, db_session):
    submit(client, "/callback", GOOD_CALLBACK, shown_in="fr")
    assert ledger(db_session)["advocate_calls"].text_version == consent.CALLBACK_CONSENT.version


# -- privacy, deletion, unsubscribe -------------------------------------------------------


def test_the_privacy_page_in_spanish(client, db_session):
    text = assert_spanish_page(client.get("/privacy?lang=es").get_data(as_text=True))
    assert "Privacidad y su información" in text
    days = int(client.application.config["RETENTION_DAYS"])
    assert f"los guardamos {days} días más" in text


def test_the_deletion_form_in_spanish_errors_and_answer(client, db_session):
    page = "/privacy/delete?lang=es"
    text = assert_spanish_page(client.get(page).get_data(as_text=True))
    assert "Borrar su información" in text and "Su correo electrónico" in text
    bad = client.post(page, data={"csrf_token": csrf_token(client, page), "email": ""})
    assert bad.status_code == 400
    assert field_errors(bad) == ["Por favor, escriba el correo electrónico que nos dio."]
    assert "Por favor, revise esta respuesta" in bad.get_data(as_text=True)
    sent = client.post(page, data={"csrf_token": csrf_token(client, page), "email": "a@b.org"})
    text = assert_spanish_page(sent.get_data(as_text=True))
    assert "Revise su correo electrónico" in text


def test_the_deletion_link_pages_in_spanish(client, db_session):
    text = assert_spanish_page(
        client.get("/privacy/delete/not-a-token?lang=es").get_data(as_text=True)
    )
    assert "Este enlace no funciona" in text and "No se borró nada." in text


def test_the_unsubscribe_pages_in_spanish(client, db_session):
    submit(client, "/guide", {**GOOD_GUIDE, "email": "rosa@example.com"})
    request = db_session.scalars(select(GuideRequest)).one()
    with client.application.test_request_context():
        token = unsubscribe.token_for(request.contact_id, "rosa@example.com")
    path = f"/unsubscribe/{token}?lang=es"
    text = assert_spanish_page(client.get(path).get_data(as_text=True))
    assert "¿Dejar de recibir nuestros correos?" in text
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    text = assert_spanish_page(done.get_data(as_text=True))
    assert "Ya no recibirá nuestros correos" in text


# -- the consent wordings ----------------------------------------------------------------


def test_each_spanish_wording_is_a_version_of_its_own_for_the_same_promise():
    for form, by_language in consent.FORM_TEXTS.items():
        english, spanish = consent.shown_on(form, "en"), consent.shown_on(form, "es")
        assert english.keys() == spanish.keys(), form
        for purpose, wording in spanish.items():
            assert wording.language == "es" and english[purpose].language == "en"
            assert wording.version != english[purpose].version
            assert (wording.purpose, wording.channel) == (purpose, english[purpose].channel)
            assert consent.TEXTS[wording.version] is wording
    assert consent.shown_on("guide", "fr") == consent.shown_on("guide", "en")


def test_a_timed_out_spanish_form_comes_back_with_the_spanish_consent(client, db_session):
    client.get("/guide?lang=es")
    response = client.post("/guide", data={**GOOD_GUIDE, "csrf_token": "stale"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and '<html lang="es">' in html
    assert consent.GUIDE_EMAIL_CONSENT_ES.text in html and 'value="Robert"' in html


def test_the_partner_api_reads_neither_the_page_language_nor_its_default():
    from intake.forms.callback import CallbackForm
    from intake.forms.guide import GuideForm
    from intake.forms.partner_lead import field_specs

    assert "shown_in" not in field_specs(GuideForm) and "shown_in" not in field_specs(CallbackForm)
    assert field_specs(GuideForm)["language"] == ("string", "en")
    assert field_specs(CallbackForm)["language"] == ("string", "en")
