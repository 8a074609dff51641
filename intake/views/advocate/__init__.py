"""The advocates' console: the queue, claim next, a lead's page, outcomes, household links.

Views import forms and services; nothing imports views but the app factory.
"""
