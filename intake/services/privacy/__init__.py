"""Privacy: deletion requests by email, erasure, retention, and subject access.

May import every domain above it (``people`` to ``queue``, and ``outbox``): erasing a person
stops their calls and emails.
"""
