"""Operations: Prometheus figures, the dashboard's figures, demo activity, the worker's
warm-up, and rotating the data key.

The top of the services: may import every other domain (and ``outbox``).
"""
