"""Temporary: screenshots of the Spanish form pages at 390 px (not committed)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from intake.models import GuideRequest, Submission

pytestmark = [pytest.mark.browser, pytest.mark.committed]
OUT = Path("/tmp/shots-i25-forms")


def shot(page, name):
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def test_shots(live_server, browser, committed_db, app):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-US",
                                  extra_http_headers={"Accept-Language": "es-US,es;q=0.9"})
    page = context.new_page()
    page.goto(live_server + "/guide")
    shot(page, "01-guide")
    page.get_by_role("button", name="Envíenme la guía gratuita").click()
    shot(page, "02-guide-errors")
    page.get_by_label("Nombre", exact=True).fill("Rosa")
    page.get_by_label("Correo electrónico", exact=True).fill("rosa@example.com")
    page.get_by_label("Soy el/la paciente").check()
    page.get_by_role("button", name="Envíenme la guía gratuita").click()
    page.wait_for_url("**/guide/thanks**")
    shot(page, "03-guide-thanks")
    page.goto(live_server + "/callback")
    shot(page, "04-callback")
    page.get_by_label("Nombre", exact=True).fill("Rosa")
    page.get_by_label("Número de teléfono", exact=True).fill("(212) 555-0143")
    page.get_by_role("button", name="Llámenme, por favor").click()
    shot(page, "05-callback-errors")
    page.get_by_label("Su código postal").fill("10001")
    page.get_by_label("Hijo o hija").check()
    page.locator("#consent_calls").check()
    page.get_by_role("button", name="Llámenme, por favor").click()
    page.wait_for_url("**/callback/thanks**")
    shot(page, "06-callback-thanks")
    page.goto(live_server + "/privacy")
    shot(page, "07-privacy")
    page.goto(live_server + "/privacy/delete")
    shot(page, "08-delete")
    page.get_by_role("button", name="Envíenme el enlace").click()
    shot(page, "09-delete-error")
    page.get_by_label("Su correo electrónico").fill("rosa@example.com")
    page.get_by_role("button", name="Envíenme el enlace").click()
    shot(page, "10-delete-sent")
    page.goto(live_server + "/privacy/delete/broken")
    shot(page, "11-delete-link-broken")
    from intake.services.email import unsubscribe
    with app.app_context():
        from intake.extensions import db
        import time
        for _ in range(50):
            rows = db.session.scalars(select(Submission)).all()
            if rows:
                break
            time.sleep(0.1)
    with app.test_request_context():
        token = unsubscribe.token_for(1, "rosa@example.com")
    page.goto(live_server + f"/unsubscribe/{token}")
    shot(page, "12-unsubscribe")
    context.close()
