"""A live server on a free port and Debian's Chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture
def live_server(app: Any, committed_db: Any) -> Iterator[str]:
    """The test app served over real HTTP in a thread; data really committed, emptied after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def worker(app: Any, monkeypatch: Any) -> Iterator[Any]:
    """A real Celery worker on Redis, told of each received form as in production."""
    from tests.worker.conftest import running_worker

    monkeypatch.setitem(app.config, "OUTBOX_PUBLISH_AFTER_COMMIT", True)
    monkeypatch.setitem(app.config, "SUBMISSION_SWEEP_GRACE_SECONDS", 0)
    with running_worker(app) as started:
        yield started


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Chromium is missing (Debian: apt-get install chromium)"
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture(params=[(390, 844), (1280, 900)], ids=["phone", "desktop"])
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser tab at phone and desktop sizes; external requests are refused and counted."""
    width, height = request.param
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.external_requests = []  # type: ignore[attr-defined]

    def guard(route: Any) -> None:
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:")):
            route.continue_()
        else:
            tab.external_requests.append(url)  # type: ignore[attr-defined]
            route.abort()

    tab.route("**/*", guard)
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> None:
    """Keep a full-page picture of what a person saw, for review (artifacts/ is not committed)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


@pytest.fixture
def demo_listings(committed_db: Any) -> Iterator[None]:
    """The fictional demo specialists, loaded and committed, with the match index rebuilt."""
    from intake.services.directory import match_query, specialists

    assert specialists.load_demo(committed_db).ok
    committed_db.commit()
    match_query.invalidate()
    yield
    match_query.invalidate()


@pytest.fixture
def spanish_phone(browser: Any) -> Iterator[Any]:
    """A 390 px wide tab whose browser asks for Spanish, with no cookie yet."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        locale="es-US",
        extra_http_headers={"Accept-Language": "es-US,es;q=0.9"},
    )
    tab = context.new_page()
    yield tab
    context.close()
