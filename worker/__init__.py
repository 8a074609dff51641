"""The Celery worker: ``celery -A worker worker`` and ``celery -A worker beat``."""

from worker.celery_app import celery, flask_app

__all__ = ["celery", "flask_app"]
