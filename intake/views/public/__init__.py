"""Public pages: the landing page, the guide and callback forms and their thank-you pages,
the specialist match, privacy and deletion, unsubscribe.

Views import forms and services; nothing imports views but the app factory.
"""
