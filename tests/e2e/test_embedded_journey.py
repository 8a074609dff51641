"""The new user's journey in a real browser: the README's first command, the guide form, and
the email with its PDF in the local mailbox a few seconds later."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import screenshot
from tests.embedded import Embedded, embedded_service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Embedded]:
    with embedded_service(tmp_path_factory.mktemp("embedded")) as running:
        yield running


def test_a_guide_asked_for_on_the_page_arrives_in_the_mailbox_with_its_pdf(
    service: Embedded, page: Any
) -> None:
    width = page.viewport_size["width"]
    page.goto(service.base + "/guide")
    page.get_by_label("First name", exact=True).fill(f"Nell{width}")
    page.get_by_label("Email address").fill(f"nell{width}@example.com")
    page.get_by_label("I am the patient").check()
    page.get_by_label("Type of mesothelioma").select_option("peritoneal")
    page.get_by_role("button", name="Send me the free guide").click()
    page.wait_for_url("**/guide/thanks**")
    assert "within a minute or two" in page.content()

    email, password = service.demo_sign_in("admin")
    page.goto(service.base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/login/second-factor")
    page.get_by_label("Code").fill(service.demo_second_step_code("admin"))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    deadline = time.monotonic() + 60
    while True:
        page.goto(service.base + "/admin/mailbox")
        if f"nell{width}@example.com" in page.content():
            break
        assert time.monotonic() < deadline, "the guide email did not reach the mailbox in 60 s"
        time.sleep(1)
    screenshot(page, "mailbox")
    page.locator("tr", has_text=f"nell{width}@example.com").get_by_role("link").click()
    frame = page.frame_locator("iframe.mail-frame")
    assert f"Dear Nell{width}" in frame.locator("body").inner_text()
    screenshot(page, "mailbox-message")
    with page.expect_download() as download:
        page.get_by_role("link", name="mesothelioma-guide.pdf").click()
    path = download.value.path()
    assert path is not None
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
