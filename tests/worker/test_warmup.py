"""The worker loads what a first guide email needs before it forks its pool, and never fails
to start over it."""

from __future__ import annotations

from intake.matching import geo
from intake.services.ops import warmup


def test_the_zip_index_and_the_guide_renderer_are_loaded(app, monkeypatch):
    # as in a freshly started worker: an earlier test or import may have loaded them already
    monkeypatch.setattr(geo, "_index", None)  # the loaded index is put back afterwards
    app.extensions.pop("guide_renderer", None)
    assert geo._index is None and "guide_renderer" not in app.extensions
    warmup.warm_up(app)
    assert geo._index is not None and len(geo._index) > 30_000 and "10001" in geo._index
    renderer = app.extensions["guide_renderer"]
    assert renderer._name_font is not None  # the cover's font, subset once
    assert renderer._fonts is None  # WeasyPrint's font configuration: made after the fork


def test_a_failure_is_logged_and_the_worker_starts_anyway(app, monkeypatch):
    def broken(_zip: str) -> None:
        raise OSError("the ZIP data could not be read")

    warnings: list[str] = []
    monkeypatch.setattr(geo, "lookup", broken)
    monkeypatch.setattr(warmup.log, "warning", lambda text, *args: warnings.append(text % args))
    warmup.warm_up(app)  # no exception
    assert len(warnings) == 1 and warnings[0].startswith("worker warm-up skipped: OSError")


def test_what_was_loaded_is_frozen_out_of_the_collectors_way(app):
    import gc

    try:
        warmup.warm_up(app)
        assert gc.get_freeze_count() > 100_000  # the ZIP index among them
    finally:
        gc.unfreeze()  # this test process keeps collecting as before
