"""Email: each delivery owed and sent once, the guide email and its PDF, notices, unsubscribe,
and printed copies to post, printed in batches.

May import ``people``, ``staff`` and ``directory`` (and ``outbox``), models, ``mail`` and
``guide``.
"""
