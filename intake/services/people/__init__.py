"""People: contacts as they gave themselves to us, the consent ledger, race-safe inserts.

The bottom of the services: every other domain finds or records a person
through these.  May import models, ``crypto`` and the pure packages only.
"""
