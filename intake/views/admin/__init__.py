"""Admin pages: the dashboard (``blueprint.py``, which registers the rest), listings and their
CSV import, staff, the audit log, a person's data, emails and the local mailbox, printed
copies, API keys.

Views import forms and services; nothing imports views but the app factory.
"""
