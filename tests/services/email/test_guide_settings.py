"""The guide's cached body prints our phone, name, website and address: a change shows at once."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from sqlalchemy import select

from intake.models import GuideRequest
from intake.services.email import guides
from tests.conftest import GOOD_GUIDE, submit


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_new_phone_number_is_in_the_next_guide(client, db_session, app, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "GUIDE_CACHE_DIR", str(tmp_path / "guide-cache"))
    monkeypatch.setitem(app.config, "ADVOCATE_PHONE", "1-800-555-0111")
    app.extensions.pop("guide_renderer", None)
    submit(client, "/guide", GOOD_GUIDE)
    request = db_session.scalars(select(GuideRequest)).one()
    before = _text(guides.render_for_request(db_session, request))
    assert "1-800-555-0111" in before

    monkeypatch.setitem(app.config, "ADVOCATE_PHONE", "1-888-555-0122")
    after = _text(guides.render_for_request(db_session, request))
    assert "1-888-555-0122" in after and "1-800-555-0111" not in after
    app.extensions.pop("guide_renderer", None)


def test_a_new_address_gets_a_renderer_and_cache_of_its_own(app: Any, monkeypatch) -> None:
    with app.app_context():
        app.extensions.pop("guide_renderer", None)
        first = guides.renderer()
        assert guides.renderer() is first  # unchanged settings: the same cache
        monkeypatch.setitem(app.config, "MAIL_POSTAL_ADDRESS", "9 New Street, Boston, MA 02110")
        second = guides.renderer()
        app.extensions.pop("guide_renderer", None)
    assert second is not first and second.cache_dir != first.cache_dir
