"""The Celery worker: ``celery -A worker worker`` and ``celery -A worker beat``.

The Celery app is built lazily, on first access of ``worker.celery``, so that
importing a task module (as the tests and the Flask app do) does not build a
second Flask app.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name in {"celery", "flask_app"}:
        from worker import celery_app

        return getattr(celery_app, name)
    raise AttributeError(name)
