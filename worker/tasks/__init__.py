"""Thin Celery tasks: take ids, call one service, commit."""
