"""The callback thank-you page's promise and calling hours in Spanish: the same facts as English."""

from __future__ import annotations

import re

import pytest

from intake.services.staff import auth
from tests.conftest import GOOD_CALLBACK
from tests.views.public.test_callback_promise import SATURDAY_10, TUESDAY_9_30, _thanks


def _spanish_thanks(client, monkeypatch, moment, **overrides) -> str:
    client.get("/callback?lang=es")
    return _thanks(client, monkeypatch, moment, **overrides)


def _lead(html: str) -> str:
    found = re.search(r'<p class="lead">(.*?)</p>', html, re.S)
    assert found, "no promise on the page"
    return " ".join(found.group(1).split()).replace("\u00a0", " ")


def test_without_shifts_the_spanish_promise_names_the_staffed_hours(
    client, db_session, monkeypatch
):
    auth.create_user(db_session, "adv@staff.example.org", "advocate", "a long advocate password")
    db_session.commit()
    promise = _lead(_spanish_thanks(client, monkeypatch, SATURDAY_10, best_time="asap"))
    assert "minuto" not in promise
    assert "el lunes a partir de las 8:00 a.m." in promise
    assert promise.endswith(
        "Nuestros defensores trabajan de lunes a viernes, de 8:00 a.m. a 8:00 p.m. hora del Este."
    )
    assert not re.search(r"\b(Monday|Eastern|AM|PM|after)\b", promise)


@pytest.mark.parametrize(
    ("zip_code", "hours"),
    [
        ("02903", "Solo llamamos de lunes a viernes entre las 9:00 a.m. y las 6:00 p.m., su hora "
                  "local, los sábados entre las 10:00 a.m. y las 5:00 p.m. y nunca los domingos "
                  "ni los días festivos."),
        ("33101", "Solo llamamos entre las 8:00 a.m. y las 8:00 p.m., su hora local."),
    ],
)  # fmt: skip
def test_the_calling_hours_line_is_the_state_rule_in_spanish(client, monkeypatch, zip_code, hours):
    page = _spanish_thanks(
        client, monkeypatch, TUESDAY_9_30, **{**GOOD_CALLBACK, "zip": zip_code}
    ).replace("\u00a0", " ")
    assert hours in page
    assert "Calls only happen" not in page
