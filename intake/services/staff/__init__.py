"""Staff: accounts, sign-in and its throttles, the second step, server-side sessions, and the
audit log (recording every staff action; reading and exporting it).

May import ``people`` (and ``outbox``), models and the pure packages.
"""
