"""A Spanish-speaking family's whole journey on a phone, through the live product and a real worker.

A browser that asks for Spanish opens the landing page, asks for the guide
(first with a mistake), reads the thank-you page, then the email the worker
sent (both parts) and its PDF (the cover and "Specialists near you"), follows
the email's "call me back" link to the callback form and its thank-you page,
and its unsubscribe and delete-my-data links, on another phone whose browser
asks for English (each link a fresh visit: the email's language goes with it).
Every step's visible text, and its title and labels read aloud, is checked for
English words (tests/i18n/english.py: names and brand words allowed), and
pictured for review.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from intake.models import CallbackRequest, GuideRequest, QueueItem
from tests.i18n.english import assert_no_english
from tests.worker.conftest import relay

pytestmark = [pytest.mark.browser, pytest.mark.committed]
# where the pictures of each step go for review (not committed)
SHOTS = Path(os.environ.get("I25_JOURNEY_SHOTS", "artifacts/screenshots/spanish-journey"))
ADDRESS = "rosa.journey@example.com"


@pytest.fixture
def english_phone(browser: Any) -> Any:
    """Another phone, whose browser asks for English: where a family member opens the email."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="en-US",
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    tab = context.new_page()
    yield tab
    context.close()


def _no_english(text: str, where: str) -> None:
    """No English but names: our postal address (every email's footer) is a place's name."""
    from flask import current_app

    address = current_app.config["MAIL_POSTAL_ADDRESS"]
    assert_no_english(text, where, also=(address, *address.split(", ")))  # whole, or a line each


def _step(page: Any, name: str) -> str:
    """Picture the page and return the words a reader sees on it, checked for English."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    assert page.locator("html").get_attribute("lang") == "es", name
    text = str(page.inner_text("body"))
    (SHOTS / f"{name}.txt").write_text(text + "\n---\n" + _unseen_words(page))
    _no_english(text, name)
    _no_english(_unseen_words(page), f"{name} (title and labels read aloud)")
    return text


def _unseen_words(page: Any) -> str:
    """What a reader meets outside the body's text: the tab's title, labels read aloud, hints."""
    return str(
        page.evaluate(
            """() => [document.title, ...[...document.querySelectorAll(
                   '[aria-label], [alt], [title], [placeholder]')].flatMap(e =>
                   ['aria-label', 'alt', 'title', 'placeholder'].map(a => e.getAttribute(a) || ''))
               ].filter(Boolean).join('\\n')"""
        )
    )


def _as_beat_does(app: Any, check: Any, what: str) -> Any:
    """Wait for ``check()``, relaying due jobs and sweeping received forms as beat would.

    Beat's sweep is production's safety net for a form whose announcement was lost (the
    previous test's in-thread worker can swallow one): do what it does every second.
    """
    deadline = time.monotonic() + 60
    with app.app_context():
        while not (found := check()):
            assert time.monotonic() < deadline, f"waited 60 s for {what}"
            relay(app)
            app.extensions["celery"].send_task("submissions.sweep")
            time.sleep(1)
    return found


def _mail(app: Any, smtp: Any, count: int) -> EmailMessage:
    """The ``count``-th email the worker sent."""
    _as_beat_does(app, lambda: len(smtp.raw) >= count, f"email number {count}")
    return smtp.messages[count - 1]


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None, "the email has a text and an HTML part"
    return text.get_content(), html.get_content()


def _read_html_email(page: Any, html: str, name: str) -> str:
    """Show the HTML part as a mail app would and check what it says."""
    page.set_content(html)
    return _step(page, name)


def _pdf_pages(pdf: bytes, tmp_path: Path) -> list[str]:
    path = tmp_path / "guide.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(  # noqa: S603
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True
    ).stdout.decode()
    return text.split("\f")


def _picture_pdf_page(pdf_path: Path, number: int, name: str) -> None:
    subprocess.run(  # noqa: S603
        [
            "pdftoppm",
            "-png",
            "-r",
            "70",
            "-f",
            str(number),
            "-l",
            str(number),
            "-singlefile",
            str(pdf_path),
            str(SHOTS / name),
        ],
        check=True,
    )


def _spanish_speakers() -> set[tuple[str, str]]:
    """(name, institution) of every demo listing whose doctor speaks Spanish."""
    with (Path(__file__).resolve().parents[2] / "data" / "specialists_demo.csv").open() as rows:
        return {
            (f"{row['first_name']} {row['last_name']}", row["institution"])
            for row in csv.DictReader(rows)
            if "es" in row["languages"].split(";")
        }


def _spanish_said_where_true(matches: str) -> int:
    """Each card on the guide's page says "habla español" exactly when its doctor does; how many."""
    speakers, said = _spanish_speakers(), 0
    for card in re.split(r"\n(?=Dr\. )", matches)[1:]:
        name, place = card.split("\n")[:2]
        doctor = (name.removeprefix("Dr. ").rsplit(",", 1)[0], place.split(" · ")[0])
        speaks = "habla español" in " ".join(card.split())
        assert speaks == (doctor in speakers), f"{doctor}: says habla español {speaks}\n{card}"
        said += speaks
    return said


def _languages(session: Any) -> dict[str, list[str]] | None:
    """The language kept on the guide request, the callback request and its queue item."""
    session.rollback()
    found = {
        name: list(session.scalars(select(model.language)))
        for name, model in (
            ("guide", GuideRequest),
            ("callback", CallbackRequest),
            ("queue", QueueItem),
        )
    }
    return found if all(found.values()) else None


def _follow(page: Any, text: str, path: str) -> None:
    """Open the email's link to ``path`` as a fresh visit: no language remembered from before."""
    page.context.clear_cookies()
    page.goto(_link(text, path))


def _link(text: str, path: str) -> str:
    found = re.search(rf"http://\S+{re.escape(path)}\S*", text)
    assert found, f"no {path} link in the email:\n{text}"
    return found.group(0)


def test_a_spanish_family_meets_no_english_from_the_first_page_to_the_last(
    app,
    live_server,
    worker,
    smtp,
    demo_listings,
    spanish_phone,
    english_phone,
    tmp_path,
    monkeypatch,
    committed_db,
):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", live_server)  # the emails' links reach it
    page = spanish_phone
    page.goto(live_server + "/")
    _step(page, "01-landing")  # no ?lang= and no cookie: the browser's Accept-Language chose
    assert page.locator("h1").inner_text() == "No tiene que enfrentar el mesotelioma solo"

    # the guide form, first with a mistake
    page.goto(live_server + "/guide")
    page.get_by_label("Nombre", exact=True).fill("Rosa")
    page.get_by_label("Correo electrónico", exact=True).fill("rosa@")
    page.get_by_label("Soy el/la paciente").check()
    page.get_by_label("Tipo de mesotelioma").select_option("pleural")
    page.get_by_label("Etapa", exact=True).select_option("3")
    page.locator("#zip").fill("10001")
    page.get_by_role("button", name="Envíenme la guía gratuita").click()
    assert page.locator("#error-summary").is_visible()
    _step(page, "02-guide-error")
    assert page.locator("#zip").input_value() == "10001"  # nothing typed is lost

    page.get_by_label("Correo electrónico", exact=True).fill(ADDRESS)
    page.get_by_role("button", name="Envíenme la guía gratuita").click()
    page.wait_for_url("**/guide/thanks**")
    thanks = _step(page, "03-guide-thanks")
    assert "Gracias, su guía va en camino" in thanks

    # the email the worker sent, both parts, and its PDF
    message = _mail(app, smtp, 1)
    assert ADDRESS in message["To"]
    _no_english(str(message["Subject"]), "the guide email's subject")
    text, html = _parts(message)
    _no_english(text, "the guide email's text part")
    _read_html_email(page, html, "04-guide-email-html")
    links = re.findall(r'href="(http[^"]+)"', html)
    assert links and all("lang=es" in link for link in links), links
    (attachment,) = [part for part in message.iter_attachments()]
    pdf = attachment.get_content()
    pages = _pdf_pages(pdf, tmp_path)
    (SHOTS / "guide-email.txt").write_text(text)
    (SHOTS / "guide-pdf.txt").write_text("\f".join(pages))
    assert attachment.get_filename() == "guia-mesotelioma.pdf"
    for number, words in enumerate(pages, start=1):  # the whole guide, not only two pages
        _no_english(words, f"page {number} of the guide")
    assert "Su guía sobre el\nmesotelioma" in pages[0] and "Rosa" in pages[0]  # the cover
    (matches,) = [p for p in pages if "Especialistas cerca de usted" in p and "Teléfono:" in p]
    assert _spanish_said_where_true(matches) >= 1, matches
    assert "millas de 10001" in matches, matches
    number = pages.index(matches) + 1
    _picture_pdf_page(tmp_path / "guide.pdf", 1, "05-guide-pdf-cover")
    _picture_pdf_page(tmp_path / "guide.pdf", number, "06-guide-pdf-specialists")

    # "call me back" from the email, opened on a phone whose browser asks for English: the
    # email's language goes with its links
    page = english_phone
    _follow(page, text, "/callback")
    _step(page, "07-callback")
    page.get_by_label("Nombre", exact=True).fill("Rosa")
    page.get_by_label("Número de teléfono", exact=True).fill("(212) 555-0143")
    page.locator("#zip").fill("10001")
    page.locator("input[name=relationship][value=self]").check()
    page.locator("#consent_calls").check()
    page.get_by_role("button", name="Llámenme, por favor").click()
    page.wait_for_url("**/callback/thanks**")
    called = _step(page, "08-callback-thanks")
    assert "Gracias, le llamaremos" in called
    # the person's language goes on with them: their guide, and the advocate who calls
    languages = _as_beat_does(app, lambda: _languages(committed_db), "the worker to queue the call")
    assert languages == {"guide": ["es"], "callback": ["es"], "queue": ["es"]}, languages

    # the email's unsubscribe link: the page, the button, and what it says after
    _follow(page, text, "/unsubscribe/")
    _step(page, "09-unsubscribe")
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    _step(page, "10-unsubscribed")
    assert page.locator("h1").inner_text() == "Ya no recibirá nuestros correos"

    # the email's delete-my-data link, the request, and the link the worker then emails
    _follow(page, text, "/privacy/delete")
    _step(page, "11-delete")
    page.locator("#email").fill(ADDRESS)
    with page.expect_navigation():
        page.locator("main button[type=submit]").click()
    _step(page, "12-delete-check-your-email")
    assert page.locator("h1").inner_text() == "Revise su correo electrónico"
    deletion = _mail(app, smtp, 2)
    _no_english(str(deletion["Subject"]), "the deletion email's subject")
    deletion_text, deletion_html = _parts(deletion)
    (SHOTS / "deletion-email.txt").write_text(f"SUBJECT {deletion['Subject']}\n" + deletion_text)
    _no_english(deletion_text, "the deletion email's text part")
    _read_html_email(page, deletion_html, "13-delete-email-html")
    _follow(page, deletion_text, "/privacy/delete/")
    _step(page, "14-delete-confirm")
    with page.expect_navigation():
        page.locator("main button[type=submit]").first.click()
    _step(page, "15-deleted")
    assert page.locator("h1").inner_text() == "Borramos su información"
