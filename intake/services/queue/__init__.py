"""The callback queue: items (one open per phone number), claims and their leases, outcomes,
the lead page, speed-to-lead (SLA), what a caller is told about waiting, and staffing.

May import ``people``, ``staff``, ``directory`` and ``email`` (and ``outbox``), models and the
pure packages (``calling``, ``queueing``).
"""
