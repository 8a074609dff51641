"""The inbox: every way a request comes in, turned into leads. The sealed submissions and
their processing, guide and callback requests, partner leads with their API keys and
statuses, and the reference a person reads out to an advocate.

May import every domain above it except ``ops`` (and ``outbox``).
"""
