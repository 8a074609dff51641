"""The specialist directory: listings, their admin edits and CSV, and the query that feeds
the matching rules (``intake.matching``) and records a case's matches.

May import ``people`` and ``staff`` (and ``outbox``), models and the pure packages.
"""
