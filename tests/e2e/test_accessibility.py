"""WCAG 2.1 A/AA checks with axe-core (shipped inside axe-playwright-python) on every public page.

Automated checks catch about a third of accessibility problems (contrast,
labels, landmarks, ARIA misuse); the journeys in test_public_journeys.py
cover keyboard use and focus.
"""

from __future__ import annotations

import pytest

from intake.services.directory import match_query, specialists

pytestmark = [pytest.mark.browser, pytest.mark.committed]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


@pytest.fixture
def demo_listings(committed_db):
    assert specialists.load_demo(committed_db).ok
    committed_db.commit()
    match_query.invalidate()
    yield
    match_query.invalidate()


def _violations(page) -> str:
    """axe-core's report of the page's WCAG A/AA violations ("" for none), once it is shown
    that axe ran rules on the page: a run that checked nothing proves nothing."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    ran = sum(len(results.response[kind]) for kind in ("passes", "violations", "incomplete"))
    assert ran > 0, "axe ran no rule on the page"
    return "" if results.violations_count == 0 else results.generate_report()


MATCH = "Find a mesothelioma specialist"


@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/", 200, "You don't have to face mesothelioma alone"),
        ("/guide", 200, "Get the free mesothelioma guide"),
        ("/callback", 200, "Talk to a patient advocate"),
        ("/privacy", 200, "Privacy and your information"),
        ("/match", 200, MATCH),
        ("/match?cancer_type=peritoneal&zip=10001&max_miles=250", 200, MATCH),
        ("/match?cancer_type=pleural&zip=00000", 400, MATCH),  # the error state
        ("/login", 200, "Staff sign in"),
        ("/no-such-page", 404, "We could not find that page"),
    ],
)
def test_public_pages_have_no_wcag_aa_violations(
    live_server, page, demo_listings, path, status, heading
):
    response = page.goto(live_server + path)
    assert response is not None and response.status == status and page.url == live_server + path
    assert page.locator("h1").inner_text() == heading, "the page did not load as expected"
    assert _violations(page) == ""


@pytest.mark.parametrize("form", ["/guide", "/callback"])
def test_forms_showing_errors_have_no_wcag_aa_violations(live_server, page, form):
    response = page.goto(live_server + form)
    assert response is not None and response.status == 200
    page.locator("button[type=submit]").click()
    assert page.locator("#error-summary").is_visible()
    assert _violations(page) == ""


# Every public page a patient can reach: its address (or the name of the steps that reach it)
# and its h1 in English and in Spanish, so a test that opened the wrong page says so.
PUBLIC_PAGES = {
    "landing": (
        "/",
        "You don't have to face mesothelioma alone",
        "No tiene que enfrentar el mesotelioma solo",
    ),
    "guide": (
        "/guide",
        "Get the free mesothelioma guide",
        "Reciba la guía gratuita sobre el mesotelioma",
    ),
    "guide-thanks": (
        "guide-thanks",
        "Thank you, your guide is on its way",
        "Gracias, su guía va en camino",
    ),
    "callback": ("/callback", "Talk to a patient advocate", "Hablar con un defensor de pacientes"),
    "callback-thanks": ("callback-thanks", "Thank you, we'll call you", "Gracias, le llamaremos"),
    "match": (
        "/match",
        "Find a mesothelioma specialist",
        "Encuentre un especialista en mesotelioma",
    ),
    "match-results": (
        "/match?cancer_type=pleural&zip=10001&stage=3&max_miles=250",
        "Find a mesothelioma specialist",
        "Encuentre un especialista en mesotelioma",
    ),
    "match-error": (
        "/match?cancer_type=pleural&zip=00000",
        "Find a mesothelioma specialist",
        "Encuentre un especialista en mesotelioma",
    ),
    "privacy": ("/privacy", "Privacy and your information", "Privacidad y su información"),
    "privacy-delete": ("/privacy/delete", "Delete your information", "Borrar su información"),
    "privacy-delete-sent": (
        "privacy-delete-sent",
        "Check your email",
        "Revise su correo electrónico",
    ),
    "privacy-delete-bad-link": (
        "/privacy/delete/not-a-link",
        "This link does not work",
        "Este enlace no funciona",
    ),
    "unsubscribe": ("unsubscribe", "Stop our emails?", "¿Dejar de recibir nuestros correos?"),
    "unsubscribed": ("unsubscribed", "You are unsubscribed", "Ya no recibirá nuestros correos"),
    "not-found": ("/no-such-page", "We could not find that page", "No encontramos esa página"),
}


def _in_language(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def _open(page, base: str, name: str, language: str) -> None:
    """Open one public page in ``language``, filling and sending a form where it needs one."""
    path = PUBLIC_PAGES[name][0]
    if path.startswith("/"):
        page.goto(base + _in_language(path, language))
    elif name == "guide-thanks":
        page.goto(base + _in_language("/guide", language))
        page.locator("#first_name").fill("Ana")
        page.locator("#email").fill("ana@example.com")
        page.locator("input[name=relationship][value=self]").check()
        page.locator("main button[type=submit]").click()
        page.wait_for_url("**/guide/thanks**")
    elif name == "callback-thanks":
        page.goto(base + _in_language("/callback", language))
        page.locator("#first_name").fill("Ana")
        page.locator("#phone").fill("(212) 555-0143")
        page.locator("#zip").fill("10001")
        page.locator("input[name=relationship][value=self]").check()
        page.locator("#consent_calls").check()
        page.locator("main button[type=submit]").click()
        page.wait_for_url("**/callback/thanks**")
    elif name == "privacy-delete-sent":
        page.goto(base + _in_language("/privacy/delete", language))
        page.locator("#email").fill("ana@example.com")
        with page.expect_navigation():
            page.locator("main button[type=submit]").click()
    else:  # the unsubscribe link in an email, before and after its button
        from intake.services.email import unsubscribe

        token = unsubscribe.token_for(1, "ana@example.com")
        page.goto(base + _in_language(f"/unsubscribe/{token}", language))
        if name == "unsubscribed":
            with page.expect_navigation():
                page.locator("main button[type=submit]").click()


def _serious(page) -> tuple[list[str], int]:
    """axe-core's serious and critical violations on the page (a report each), and how many
    rules passed: a run that checked nothing proves nothing."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    found = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    return found, len(results.response["passes"])


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("name", list(PUBLIC_PAGES))
def test_every_public_page_in_both_languages_has_no_serious_axe_violations(
    app, live_server, page, demo_listings, name, language
):
    with app.app_context():
        _open(page, live_server, name, language)
    heading = PUBLIC_PAGES[name][1 if language == "en" else 2]
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == heading, "the page did not load as expected"
    violations, passed = _serious(page)
    assert passed > 0, "axe ran no rule on the page"
    assert violations == [], "\n".join(violations)
