"""Public pages: notice, structure, no third-party requests, security headers, error pages."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous import TimestampSigner

from intake.views.public import public
from tests.conftest import GOOD_CALLBACK, GOOD_GUIDE, submit

PAGES = ["/", "/guide", "/callback", "/privacy"]
NOTICE = "Information only, not medical advice"
URL_ATTR = re.compile(r'\b(?:src|href|action|srcset|poster|data)\s*=\s*["\']?([^"\'\s>]+)', re.I)


def _urls(html: str) -> list[str]:
    return URL_ATTR.findall(html)


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_accessibly_with_the_notice(client, path):
    response = client.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert NOTICE in html
    assert len(re.findall(r"<h1[\s>]", html)) == 1
    assert '<html lang="en">' in html
    skip = re.search(r'<a class="skip-link" href="#(\w+)">Skip to main content</a>', html)
    assert skip and f'id="{skip.group(1)}"' in html
    assert html.index("skip-link") < html.index("<header")  # the first thing a keyboard reaches
    assert re.search(r"<title>[^<]+</title>", html)


@pytest.mark.parametrize("path", PAGES)
def test_page_makes_no_request_to_another_host(client, path):
    html = client.get(path).get_data(as_text=True)
    for url in _urls(html):
        assert not re.match(r"(?i)^(?:[a-z][a-z0-9+.-]*:)?//", url), url
        assert url.startswith(("/", "#", "tel:")), url
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script breaks the CSP"
    assert "<style" not in html and " style=" not in html, "inline style breaks the CSP"


@pytest.mark.parametrize("path", PAGES)
def test_every_local_asset_exists_and_loads_nothing_from_elsewhere(client, path):
    html = client.get(path).get_data(as_text=True)
    assets = re.findall(r'<(?:script|link|img)\b[^>]*\b(?:src|href)="(/[^"]+)"', html)
    assert any(a.endswith(".css") for a in assets) and any(a.endswith(".js") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = response.get_data(as_text=True)
        assert not re.search(
            r"(?i)(?:url\(\s*['\"]?|@import\s+['\"]?|fetch\(['\"])(?:https?:)?//", body
        )
        response.close()


RESPONSE_KINDS = [
    "/no-such-page",  # an error page
    "/api/v1/match?zip=10001&cancer_type=pleural",  # the JSON API
    "/api/v1/leads/00000000-0000-0000-0000-000000000000/status",  # a problem+json 401
    "/static/css/site.css",  # a static file
]


@pytest.mark.parametrize("path", [*PAGES, *RESPONSE_KINDS])
def test_security_headers(client, path):
    response = client.get(path)
    response.close()  # a static file is streamed from disk
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"] and directives["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in csp and "*" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "We could not find that page" in html and NOTICE in html
    assert 'href="/"' in html and "Traceback" not in html
    assert "requested URL was not found" not in html  # our words, not Werkzeug's


def test_wrong_method_is_a_friendly_405(client):
    response = client.post("/privacy", data={"x": "1"})
    assert response.status_code == 405
    assert "Not allowed" in response.get_data(as_text=True)
    assert "method is not allowed for the requested URL" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/match?zip=10001&cancer_type=pleural",
        "/callback?diagnosis_type=pleural&zip=10001",
        "/guide",
    ],
)
def test_pages_carrying_a_diagnosis_or_zip_are_never_cached(client, path):
    assert client.get(path).headers["Cache-Control"] == "no-store"


def test_hsts_is_sent_when_configured_and_not_otherwise(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 31_536_000)
    headers = client.get("/").headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    monkeypatch.setitem(app.config, "HSTS_SECONDS", 0)
    assert "Strict-Transport-Security" not in client.get("/").headers


@pytest.mark.parametrize("kind", ["guide", "callback"])
@pytest.mark.parametrize("ref", [None, "", "forged", "MQ.aaaa.bbbb", "1"])
def test_thanks_page_with_a_missing_or_forged_ref_is_404(client, kind, ref):
    query = "" if ref is None else f"?ref={ref}"
    response = client.get(f"/{kind}/thanks{query}")
    assert response.status_code == 404
    assert "We could not find that page" in response.get_data(as_text=True)


def test_thanks_ref_is_bound_to_its_kind_and_to_a_real_request(app, client):
    guide = submit(client, "/guide", GOOD_GUIDE).headers["Location"]
    ref = guide.split("ref=", 1)[1]
    assert client.get(guide).status_code == 200
    assert client.get(f"/callback/thanks?ref={ref}").status_code == 404
    with app.test_request_context():
        missing = public._serializer("guide").dumps(2_000_000_000)
    assert client.get(f"/guide/thanks?ref={missing}").status_code == 404


def test_an_expired_thanks_link_is_404(client, monkeypatch):
    long_ago = int(time.time()) - public.THANKS_MAX_AGE - 60
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: long_ago)
    location = submit(client, "/callback", GOOD_CALLBACK).headers["Location"]
    monkeypatch.undo()
    assert client.get(location).status_code == 404


@pytest.mark.parametrize(("path", "data"), [("/guide", GOOD_GUIDE), ("/callback", GOOD_CALLBACK)])
def test_posts_and_confirmations_are_never_cached(client, path, data):
    invalid = submit(client, path, data, first_name="")
    assert invalid.status_code == 400 and invalid.headers["Cache-Control"] == "no-store"
    saved = submit(client, path, data)
    assert saved.status_code == 303 and saved.headers["Cache-Control"] == "no-store"
    thanks = client.get(saved.headers["Location"])
    assert thanks.status_code == 200 and thanks.headers["Cache-Control"] == "no-store"


def test_landing_page_offers_the_three_ways_to_help(client):
    html = client.get("/").get_data(as_text=True)
    tools = html[html.index('<ul class="tools"') : html.index("</ul>", html.index('class="tools"'))]
    links = set(re.findall(r'<h2><a href="([^"]+)">', tools))
    assert links == {"/guide", "/match", "/callback"}
    assert 'href="tel:' in html


def test_forms_carry_their_hidden_fields_and_no_browser_validation(client):
    for path in ("/guide", "/callback"):
        html = client.get(path).get_data(as_text=True)
        assert f'<form method="post" action="{path}" novalidate' in html
        assert 'name="csrf_token" type="hidden"' in html
        assert 'name="submission_key" type="hidden"' in html
