"""The JSON API under ``/api/v1``: the match API, partner leads and their status, the OpenAPI
documents, the rendered reference, and ``problem+json`` errors.

Views import forms and services; nothing imports views but the app factory.
"""
