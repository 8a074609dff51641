"""Admin pages: only admins get in, and every listing change is real, checked and audited."""

from __future__ import annotations

import io
import re
from datetime import date
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from intake.matching.types import MatchQuery
from intake.models import AuditEvent, Specialist
from intake.services.directory import match_query, specialist_csv, specialists
from intake.services.directory.specialists import DEMO_CSV, load_demo
from tests.conftest import field_errors
from tests.views.conftest import (
    TEST_PASSWORD,
    csrf_token,
    make_user,
    post_form,
    totp_code,
)

LIST = "/admin/specialists"
GET_PAGES = [
    "/admin/",
    LIST,
    "/admin/specialists/new",
    "/admin/specialists/SPC-0001/edit",
    "/admin/specialists/import",
    "/admin/specialists/export",
]
POST_PAGES = [
    "/admin/specialists/new",
    "/admin/specialists/SPC-0001/edit",
    "/admin/specialists/SPC-0001/deactivate",
    "/admin/specialists/SPC-0001/reactivate",
    "/admin/specialists/import",
    "/admin/specialists/import/confirm",
]
NEW_LISTING = {
    "listing_id": "SPC-9001",
    "first_name": "Ada",
    "last_name": "Quill",
    "credentials": "MD",
    "specialty": "thoracic_surgery",
    "institution": "Harbor Cancer Institute",
    "city": "New York",
    "state": "NY",
    "zip": "10001",
    "cancer_types": ["pleural"],
    "treatments": ["surgery_pd", "chemotherapy"],
    "languages": "en;es",
    "accepting_new_patients": "y",
    "active": "y",
}


@pytest.fixture
def demo(db_session):
    """The 150 fictional demo listings; the match cache is rebuilt around the test."""
    assert load_demo(db_session).ok
    match_query.invalidate()
    yield db_session
    match_query.invalidate()


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def listed_ids(response) -> list[str]:
    return re.findall(
        r'<th scope="row"><a href="[^"]+">([^<]+)</a>', response.get_data(as_text=True)
    )


def audit_events(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_anonymous_visitors_are_sent_to_sign_in_with_next(client, db_session):
    for path in GET_PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == f"/login?next={quote(path, safe='')}", path
    token = csrf_token(client, "/login")
    for path in POST_PAGES:
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_every_admin_route_is_guarded(app, client, db_session):
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]
    assert len(rules) >= 9
    token = csrf_token(client, "/login")
    for rule in rules:
        path = re.sub(r"<(?:\w+:)?\w+>", "1", rule.rule.replace("<listing_id>", "SPC-0001"))
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(path, method=method, data={"csrf_token": token})
        assert response.status_code == 302, rule.rule


def test_advocates_get_a_friendly_403(client, login_as):
    login_as("advocate", skills=["es"])
    for path in GET_PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "This page is for admins" in response.get_data(as_text=True)
    for path in POST_PAGES:
        assert post_form(client, path, token_from="/login").status_code == 403, path


def test_admin_sees_the_list_in_a_readable_table_with_pages(client, admin, demo):
    response = client.get(LIST)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<caption>" in html and '<th scope="col">Listing ID</th>' in html
    assert "150 listings, showing 1 to 50" in html
    assert listed_ids(response) == [f"SPC-{n:04d}" for n in range(1, 51)]
    assert listed_ids(client.get(LIST + "?page=3"))[-1] == "SPC-0150"
    assert response.headers["Cache-Control"] == "no-store"


def _demo_rows() -> list[dict]:
    return specialist_csv.parse(DEMO_CSV.read_text(encoding="utf-8")).rows


def _contains(row: dict, text: str) -> bool:
    name = f"{row['first_name']} {row['last_name']}"
    return any(
        text.lower() in value.lower()
        for value in (name, row["institution"], row["city"], row["listing_id"])
    )


FILTERS = {
    "q=rochester": lambda r: _contains(r, "rochester"),
    "q=SPC-004": lambda r: _contains(r, "SPC-004"),
    "q=Westbrook": lambda r: _contains(r, "Westbrook"),
    "q=Strand": lambda r: _contains(r, "Strand"),
    "q=%25": lambda r: False,  # a typed % is a character, not a wildcard
    "state=OH": lambda r: r["state"] == "OH",
    "cancer_type=peritoneal": lambda r: "peritoneal" in r["cancer_types"],
    "specialty=pulmonology": lambda r: r["specialty"] == "pulmonology",
    "active=no": lambda r: not r["active"],
    "accepting=no": lambda r: not r["accepting_new_patients"],
    "state=CA&cancer_type=pleural&active=yes": lambda r: (
        r["state"] == "CA" and "pleural" in r["cancer_types"] and r["active"]
    ),
    "state=ZZ": lambda r: True,  # an unknown value filters nothing
}


@pytest.mark.parametrize("query", FILTERS)
def test_search_and_each_filter_narrow_the_list(client, admin, demo, query):
    expected = sorted(r["listing_id"] for r in _demo_rows() if FILTERS[query](r))
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert listed_ids(response) == expected[:50]
    assert 0 < len(expected) < 150 or query in {"q=%25", "state=ZZ"}


def test_create_a_listing_through_the_form(client, admin, demo):
    response = post_form(client, "/admin/specialists/new", NEW_LISTING)
    assert response.status_code == 303
    created = demo.scalar(select(Specialist).where(Specialist.listing_id == "SPC-9001"))
    assert created.updated_by == admin.email
    assert created.languages == ["en", "es"] and created.telehealth is False
    assert created.treatments == ["chemotherapy", "surgery_pd"] and created.timezone
    [event] = audit_events(demo, "specialist.create")
    assert (event.actor_id, event.target_id) == (admin.id, "SPC-9001")
    match_query.invalidate()
    found = match_query.find_matches(demo, MatchQuery(zip="10001", cancer_type="pleural", limit=50))
    assert "SPC-9001" in {m.listing.listing_id for m in found}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"zip": "00000"}, "zip", "ZIP code 00000 does not exist"),
        ({"npi": "1234567890"}, "npi", "NPI check digit is wrong"),
        ({"state": "XX"}, "state", "State: 'XX' is not a two-letter US state"),
        ({"cancer_types": []}, "cancer_types", "Mesothelioma types treated is required"),
        ({"first_name": ""}, "first_name", "First name is required"),
        ({"languages": "english"}, "languages", "Languages: not a two-letter ISO 639-1 code"),
        ({"listing_id": "SPC-0001"}, "listing_id", "Listing ID is already used"),
        ({"phone": "555-0199"}, "phone", "Phone: '555-0199' is not a valid US phone number"),
    ],
)
def test_a_bad_value_is_shown_next_to_its_field(client, admin, demo, changes, field, message):
    response = post_form(client, "/admin/specialists/new", {**NEW_LISTING, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert any(error.replace("&#39;", "'").startswith(message) for error in field_errors(response))
    assert f'id="{field}-error"' in html and 'id="error-summary"' in html
    assert 'value="Harbor Cancer Institute"' in html  # what was typed is kept
    assert demo.scalar(select(func.count()).select_from(Specialist)) == 150
    assert audit_events(demo, "specialist.create") == []


def test_form_and_csv_accept_the_same_npi():
    assert specialist_csv.npi_is_valid("1234567893") and not specialist_csv.npi_is_valid(
        "1234567890"
    )


def test_edit_changes_the_listing_and_records_who(client, admin, demo):
    page = client.get("/admin/specialists/SPC-0002/edit").get_data(as_text=True)
    assert 'value="Cleveland"' in page and 'value="44106"' in page
    values = specialists.as_row(specialist_admin_get(demo, "SPC-0002"))
    data = {k: v for k, v in values.items() if k in specialist_csv.COLUMNS and v is not None}
    for flag in ("accepts_va", "accepting_new_patients", "telehealth", "active"):
        data[flag] = "y" if data[flag] is True else None  # a browser omits unticked boxes
    data.update(city="Beachwood", zip="44122", languages="en;fr", telehealth="y")
    data = {k: v for k, v in data.items() if v is not None}
    response = post_form(client, "/admin/specialists/SPC-0002/edit", data)
    assert response.status_code == 303
    listing = specialist_admin_get(demo, "SPC-0002")
    assert (listing.city, listing.zip, listing.languages) == ("Beachwood", "44122", ["en", "fr"])
    assert listing.telehealth is True and listing.updated_by == admin.email
    [event] = audit_events(demo, "specialist.update")
    assert event.actor_id == admin.id and event.target_id == "SPC-0002"
    assert sorted(event.detail["fields"]) == [
        "city",
        "languages",
        "lat",
        "lon",
        "telehealth",
        "zip",
    ]
    assert "Beachwood" not in str(event.detail)  # names of fields, never their values


def specialist_admin_get(session, listing_id: str) -> Specialist:
    return session.scalar(select(Specialist).where(Specialist.listing_id == listing_id))


def test_edit_with_a_bad_value_changes_nothing(client, admin, demo):
    before = specialists.as_row(specialist_admin_get(demo, "SPC-0002"))
    data = {
        "first_name": "Yara",
        "last_name": "Achterberg",
        "specialty": "medical_oncology",
        "institution": "X",
        "city": "Cleveland",
        "state": "OH",
        "zip": "4410",
        "cancer_types": ["testicular"],
    }
    response = post_form(client, "/admin/specialists/SPC-0002/edit", data)
    assert response.status_code == 400
    assert "ZIP code: '4410' is not a 5-digit ZIP code" in [
        e.replace("&#39;", "'") for e in field_errors(response)
    ]
    demo.expire_all()
    assert specialists.as_row(specialist_admin_get(demo, "SPC-0002")) == before
    assert audit_events(demo, "specialist.update") == []


def test_deactivate_hides_a_listing_from_matching_and_reactivate_brings_it_back(
    client, admin, demo
):
    listing = specialist_admin_get(demo, "SPC-0001")
    query = MatchQuery(zip=listing.zip, cancer_type="pleural", limit=50)

    def matched() -> bool:
        match_query.invalidate()
        return "SPC-0001" in {m.listing.listing_id for m in match_query.find_matches(demo, query)}

    assert matched()
    path = "/admin/specialists/SPC-0001/deactivate"
    # the list links to a confirm page first; nothing changes until its button is pressed
    assert f'href="{path}?next=' in client.get(LIST).get_data(as_text=True)
    confirm = client.get(path + "?next=" + LIST).get_data(as_text=True)
    assert "Deactivate this listing?" in confirm and "Keep it active" in confirm
    assert client.head(path).status_code == 200  # a HEAD (no CSRF check) only asks too
    assert matched()
    response = post_form(client, path, {"next": LIST + "?state=MN"}, token_from=LIST)
    assert response.status_code == 303 and response.headers["Location"] == LIST + "?state=MN"
    assert not matched()
    demo.refresh(listing)  # the request changed it in its own session
    assert listing.active is False and listing.updated_by == admin.email
    response = post_form(
        client,
        "/admin/specialists/SPC-0001/reactivate",
        {"next": "//evil.example"},
        token_from=LIST,
    )
    assert response.headers["Location"] == LIST
    assert matched()
    actions = [e.action for e in demo.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["specialist.deactivate", "specialist.reactivate"]


def test_csrf_is_enforced_on_every_admin_post(client, admin, demo):
    for path in POST_PAGES:
        response = client.post(path, data={**NEW_LISTING, "listing_id": "SPC-9002"})
        assert response.status_code == 400, path
    assert specialist_admin_get(demo, "SPC-0001").active is True
    assert specialist_admin_get(demo, "SPC-9002") is None


def test_export_is_the_csv_format_and_is_audited(client, admin, demo):
    response = client.get("/admin/specialists/export")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="specialists-{date.today().isoformat()}.csv"'
    assert response.get_data(as_text=True) == specialists.export_csv(demo)
    [event] = audit_events(demo, "specialist.export")
    assert event.actor_id == admin.id and event.detail == {"rows": 150}


def test_login_form_rejects_a_wrong_password_generically(client, db_session):
    user = make_user(db_session, "admin")
    for email, password in ((user.email, "wrong password here"), ("nobody@x.org", TEST_PASSWORD)):
        response = post_form(client, "/login", {"email": email, "password": password})
        assert response.status_code == 400
        assert "Email or password is incorrect." in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


@pytest.mark.parametrize(
    ("next_param", "target"),
    [
        ("/admin/specialists?state=OH", "/admin/specialists?state=OH"),
        ("https://evil.example/admin", "/admin/"),
        ("//evil.example/admin", "/admin/"),
        ("/\\evil.example", "/admin/"),
        ("javascript:alert(1)", "/admin/"),
    ],
)
def test_sign_in_returns_only_to_local_pages(client, db_session, next_param, target):
    user = make_user(db_session, "admin")
    path = f"/login?next={quote(next_param, safe='')}"
    response = post_form(client, path, {"email": user.email.upper(), "password": TEST_PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == "/login/second-factor"
    response = post_form(client, "/login/second-factor", {"code": totp_code(db_session, user)})
    assert response.status_code == 303 and response.headers["Location"] == target


def test_logout_needs_a_post_with_csrf(client, admin):
    page = client.get("/logout")
    assert page.status_code == 200 and "Log out?" in page.get_data(as_text=True)
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200
    assert post_form(client, "/logout").status_code == 303
    assert client.get("/admin/").status_code == 302


def test_a_deactivated_account_loses_its_session(app, client, admin, db_session):
    assert client.get("/admin/").status_code == 200
    admin.active = False
    db_session.flush()
    with app.app_context():  # a request of its own, as in production (the user is reloaded)
        assert client.get("/admin/").status_code == 302


IMPORT = "/admin/specialists/import"
HEADER = ",".join(specialist_csv.COLUMNS)


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


def _row(
    listing_id: str, zip_code: str = "10001", state: str = "NY", npi: str = "", phone: str = ""
) -> str:
    return (
        f"{listing_id},{npi},Ada,Quill,MD,thoracic_surgery,Harbor Institute,,New York,{state},"
        f"{zip_code},pleural,chemotherapy,no,yes,no,en,yes,{phone},,"
    )


def _upload(client, content: bytes, name: str = "listings.csv"):
    token = csrf_token(client, IMPORT)
    return client.post(IMPORT, data={"csrf_token": token, "csv_file": (io.BytesIO(content), name)})


def _confirm(client, html: str):
    upload_id = re.search(r'name="upload_id" type="hidden" value="([^"]+)"', html).group(1)
    return post_form(
        client, "/admin/specialists/import/confirm", {"upload_id": upload_id}, token_from=IMPORT
    )


def test_import_dry_run_lists_every_problem_by_line_and_imports_nothing(client, admin, db_session):
    content = _csv(
        _row("SPC-9001"),
        _row("SPC-9002", zip_code="00000"),
        _row("SPC-9003", state="XX", npi="1234567890"),
        _row("SPC-9001"),
    )
    response = _upload(client, content)
    html = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code == 200
    assert "4 problems in listings.csv: nothing was imported" in html
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td><code>(\w+)</code></td>', html)
    assert rows == [("3", "zip"), ("4", "npi"), ("4", "state"), ("5", "listing_id")]
    assert "duplicate of line 2" in html and "ZIP code 00000 does not exist" in html
    assert 'name="upload_id"' not in html  # no way to import a bad file
    assert db_session.scalar(select(func.count()).select_from(Specialist)) == 0
    assert audit_events(db_session, "specialist.import") == []


def test_import_dry_run_names_the_line_of_a_phone_without_an_area_code(client, admin, db_session):
    content = _csv(*(_row(f"SPC-900{n}", phone="(212) 555-0143") for n in range(1, 6)),
                   _row("SPC-9006", phone="555-0102"))  # fmt: skip
    html = _upload(client, content).get_data(as_text=True).replace("&#39;", "'")
    assert "1 problem in listings.csv: nothing was imported" in html
    rows = re.findall(r'<tr><th scope="row">(\d+)</th><td><code>(\w+)</code></td>', html)
    assert rows == [("7", "phone")]
    assert "'555-0102' is not a valid US phone number" in html
    assert db_session.scalar(select(func.count()).select_from(Specialist)) == 0


def test_a_clean_import_previews_then_upserts_on_confirm(client, admin, demo):
    before = specialists.export_csv(demo)
    changed = before.splitlines()[2].replace("Cleveland", "Beachwood")  # SPC-0002
    response = _upload(client, _csv(_row("SPC-9001"), changed))
    html = response.get_data(as_text=True)
    assert "The file is clean" in html and "Import 1 new and 1 changed" in html
    assert "<code>SPC-9001</code>" in html and "<code>SPC-0002</code>" in html
    assert specialists.export_csv(demo) == before  # the preview changed nothing
    response = _confirm(client, html)
    assert response.status_code == 303 and response.headers["Location"] == LIST
    assert specialist_admin_get(demo, "SPC-0002").city == "Beachwood"
    assert specialist_admin_get(demo, "SPC-9001").updated_by == admin.email
    assert demo.scalar(select(func.count()).select_from(Specialist)) == 151
    [event] = audit_events(demo, "specialist.import")
    assert event.actor_id == admin.id
    assert event.detail == {"created": 1, "updated": 1, "unchanged": 0}
    again = _confirm(client, html)  # the same check cannot be imported twice
    assert again.headers["Location"] == IMPORT and len(audit_events(demo, "specialist.import")) == 1


def test_only_the_admin_who_checked_a_file_can_import_it(app, client, admin, db_session):
    html = _upload(client, _csv(_row("SPC-9001"))).get_data(as_text=True)
    other = app.test_client()  # another admin's browser, with requests of its own
    second = make_user(db_session, "admin", email="other@staff.example.org")
    code = totp_code(db_session, second)
    with app.app_context():
        login = {"email": second.email, "password": TEST_PASSWORD}
        assert post_form(other, "/login", login).status_code == 303
        assert post_form(other, "/login/second-factor", {"code": code}).status_code == 303
    with app.app_context():
        assert _confirm(other, html).headers["Location"] == IMPORT
    assert specialist_admin_get(db_session, "SPC-9001") is None


def test_an_upload_that_is_not_utf8_is_refused_plainly(client, admin, db_session):
    response = _upload(client, _csv(_row("SPC-9001")).replace(b"Quill", b"Qu\xefll"))
    assert response.status_code == 400
    assert "The file is not UTF-8 text" in " ".join(field_errors(response))
