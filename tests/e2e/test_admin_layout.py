"""The admin pages laid out for a desktop screen, measured in a real browser.

1280 px is a common laptop; 1265 px is the same screen less a scrollbar. The
navigation must fit one line there, and the specialists' filters must use the
width rather than stand in a narrow column beside a blank area.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from intake.services.directory import specialists
from tests.e2e.conftest import screenshot
from tests.views.conftest import TEST_PASSWORD, make_user, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.committed]


@pytest.fixture(params=[1265, 1280])
def desktop(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def admin_page(live_server: str, desktop: Any, committed_db: Any) -> Any:
    specialists.load_demo(committed_db)
    admin = make_user(committed_db, "admin", "layout.admin@staff.example.org")
    committed_db.commit()
    desktop.goto(live_server + "/login")
    desktop.get_by_label("Email").fill(admin.email)
    desktop.get_by_label("Password").fill(TEST_PASSWORD)
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url("**/login/second-factor")
    desktop.get_by_label("Code").fill(totp_code(committed_db, admin))
    desktop.get_by_role("button", name="Sign in").click()
    desktop.wait_for_url("**/admin/")
    return desktop


def _boxes(page: Any, selector: str) -> list[dict[str, float]]:
    locator = page.locator(selector)
    return [locator.nth(n).bounding_box() for n in range(locator.count())]


def _rows(boxes: list[dict[str, float]]) -> int:
    """How many lines the boxes stand on (tops within a few pixels are one line)."""
    tops: list[float] = []
    for box in boxes:
        if not any(abs(box["y"] - top) < 4 for top in tops):
            tops.append(box["y"])
    return len(tops)


def test_the_admin_navigation_fits_one_line(live_server: str, admin_page: Any) -> None:
    for path in ("/admin/", "/admin/specialists", "/admin/audit"):
        admin_page.goto(live_server + path)
        items = _boxes(admin_page, "nav.staff-nav li")
        assert len(items) == 13  # twelve places and "Log out"
        assert _rows(items) == 1, [round(box["y"]) for box in items]
        nav = admin_page.locator("nav.staff-nav ul").bounding_box()
        assert nav["height"] < 2 * min(box["height"] for box in items)


def test_the_specialists_filters_use_the_width(live_server: str, admin_page: Any) -> None:
    admin_page.goto(live_server + "/admin/specialists")
    width = admin_page.viewport_size["width"]
    screenshot(admin_page, f"admin-specialists-{width}")
    form = admin_page.locator("form.filters").bounding_box()
    selects = _boxes(admin_page, "form.filters select")
    assert len(selects) == 5 and _rows(selects) == 1  # state, type, specialty, active, new patients
    used = max(b["x"] + b["width"] for b in selects) - min(b["x"] for b in selects)
    assert used > 0.8 * form["width"]
    search = admin_page.locator("#q").bounding_box()
    assert search["y"] + search["height"] <= min(b["y"] for b in selects)  # above, not beside
    assert form["height"] < 320  # three short rows, not a column of five fields


def test_the_audit_and_dashboard_filters_stay_in_one_row(live_server: str, admin_page: Any) -> None:
    admin_page.goto(live_server + "/admin/audit")
    assert _rows(_boxes(admin_page, "form.filters .input, form.filters .select")) == 1
    admin_page.goto(live_server + "/admin/")
    assert _rows(_boxes(admin_page, "form.filters .input")) == 1
