"""The public forms and their aftermath in Spanish: WCAG 2.1 AA (axe-core), as in English."""

from __future__ import annotations

import pytest

from tests.e2e.test_accessibility import _violations

pytestmark = [pytest.mark.browser, pytest.mark.committed]


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/guide?lang=es", "Reciba la guía gratuita sobre el mesotelioma"),
        ("/callback?lang=es", "Hablar con un defensor de pacientes"),
        ("/privacy?lang=es", "Privacidad y su información"),
        ("/privacy/delete?lang=es", "Borrar su información"),
        ("/privacy/delete/not-a-link?lang=es", "Este enlace no funciona"),
    ],
)
def test_spanish_form_pages_have_no_wcag_aa_violations(live_server, page, path, heading):
    page.goto(live_server + path)
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("h1").inner_text() == heading
    assert _violations(page) == ""


@pytest.mark.parametrize("form", ["/guide?lang=es", "/callback?lang=es"])
def test_spanish_forms_showing_errors_have_no_wcag_aa_violations(live_server, page, form):
    page.goto(live_server + form)
    page.locator("button[type=submit]").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible() and "Por favor, revise estas" in summary.inner_text()
    assert _violations(page) == ""
