"""Adding a staff member says what really happens (we email them the link), and a skill no
call is routed by is refused at its field, wherever skills are set."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from intake.models import User
from intake.queueing import skills
from intake.services.staff import auth
from tests.views.conftest import make_user, post_form


def test_the_add_page_says_the_link_is_emailed_and_no_admin_sees_it(client, login_as):
    login_as("admin")
    page = client.get("/admin/staff/new").get_data(as_text=True)
    assert "give them" not in page and "You will get" not in page
    assert "We email them a one-time link" in page and "no administrator sees it" in page


@pytest.mark.parametrize(
    ("typed", "says"),
    [("xx", "Unknown skill “xx”"), ("es, xx, zz", "Unknown skills “xx”, “zz”"),
     ("spanish", "Unknown skill “spanish”"), ("en", "English needs no skill")],
)  # fmt: skip
def test_an_unknown_skill_is_refused_when_adding_someone(client, db_session, login_as, typed,
                                                         says):  # fmt: skip
    login_as("admin")
    before = db_session.scalar(select(func.count()).select_from(User))
    refused = post_form(client, "/admin/staff/new", {
        "email": "new@staff.example.org", "role": "advocate", "skills": typed})  # fmt: skip
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and says in html
    assert 'id="skills-error"' in html and "es Spanish, zh Chinese" in html  # the hint lists them
    assert db_session.scalar(select(func.count()).select_from(User)) == before


def test_an_unknown_skill_is_refused_on_the_skills_and_shifts_page(client, db_session, login_as):
    login_as("admin")
    who = make_user(db_session, "advocate", "ana@staff.example.org", ["es"])
    typed = {"skills": "es, xx", "timezone": "America/Chicago", "shifts": ""}
    refused = post_form(client, f"/admin/staff/{who.id}", typed)
    assert refused.status_code == 400 and "Unknown skill “xx”" in refused.get_data(as_text=True)
    db_session.refresh(who)
    assert who.skills == ["es"] and who.timezone != "America/Chicago"


def test_the_service_and_the_cli_refuse_unknown_skills_too(db_session):
    with pytest.raises(auth.AccountError, match="Unknown skill “xx”"):
        auth.create_user(db_session, "a@example.org", "advocate", "x" * 20, skills=["xx"])
    assert skills.problem(["ES", "va", "ht"]) is None
    assert skills.split("ES, va, es") == ["es", "va"]
