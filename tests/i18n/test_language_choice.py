"""Which language a page speaks: the switch, the cookie, Accept-Language; staff pages English."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

SPANISH_HEADING = "No tiene que enfrentar el mesotelioma solo"
ENGLISH_HEADING = "You don't have to face mesothelioma alone"


def html_lang(body: str) -> str:
    match = re.search(r'<html lang="([^"]+)"', body)
    assert match, "the page has no <html lang>"
    return match.group(1)


def test_english_by_default(client: FlaskClient) -> None:
    body = client.get("/").get_data(as_text=True)
    assert html_lang(body) == "en"
    assert ENGLISH_HEADING in body


def test_accept_language_chooses_spanish_before_any_choice(client: FlaskClient) -> None:
    response = client.get("/", headers={"Accept-Language": "es-US,es;q=0.9,en;q=0.5"})
    body = response.get_data(as_text=True)
    assert html_lang(body) == "es"
    assert SPANISH_HEADING in body
    assert "Solo para información, no es consejo médico." in body
    assert "lang=" not in response.headers.get("Set-Cookie", ""), "no choice was made: no cookie"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_the_switch_is_remembered_and_can_be_undone(client: FlaskClient) -> None:
    response = client.get("/?lang=es")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=es;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    later = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert html_lang(later) == "es", "the remembered choice outranks the browser's"
    back = client.get("/?lang=en").get_data(as_text=True)
    assert html_lang(back) == "en"
    assert html_lang(client.get("/").get_data(as_text=True)) == "en"


def test_an_unknown_language_is_ignored(client: FlaskClient) -> None:
    response = client.get("/?lang=fr", headers={"Accept-Language": "fr"})
    assert response.status_code == 200
    assert html_lang(response.get_data(as_text=True)) == "en"
    assert "Set-Cookie" not in response.headers or "lang=" not in response.headers["Set-Cookie"]


def test_every_public_page_shows_the_switch_to_the_other_language(client: FlaskClient) -> None:
    for path in ("/", "/guide", "/callback", "/match", "/privacy", "/privacy/delete"):
        body = client.get(path).get_data(as_text=True)
        assert 'class="language-switch"' in body, path
        assert f'href="{path}?lang=es"' in body, path
        assert '<span aria-current="true" lang="en">English</span>' in body, path
        spanish = client.get(f"{path}?lang=es").get_data(as_text=True)
        assert f'href="{path}?lang=en"' in spanish, path
        client.get("/?lang=en")


def test_the_switch_keeps_the_page_s_own_query(client: FlaskClient) -> None:
    body = client.get("/match?zip=10001&cell_type=pleural").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" lang="es"', body)
    assert link, "no link to the Spanish page"
    target = link.group(1).replace("&amp;", "&")
    assert target.startswith("/match?") and "zip=10001" in target and "lang=es" in target


def test_staff_pages_stay_english(client: FlaskClient) -> None:
    response = client.get("/login?lang=es", headers={"Accept-Language": "es"})
    body = response.get_data(as_text=True)
    assert 'class="language-switch"' not in body
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    assert '<html lang="en">' in body
