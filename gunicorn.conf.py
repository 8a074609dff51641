"""gunicorn settings, read from the working directory by every ``gunicorn`` start.

The access log leaves out query strings and client addresses: a /match or
/callback link can carry a ZIP code and a diagnosis, which must not end up
in logs next to an IP address.
"""

accesslog = "-"
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# control characters escaped: a CR/LF in a path cannot forge a log line
logger_class = "intake.access_log.SafeAccessLogger"
# no runtime control socket: nothing uses gunicornc, and its default path under $HOME is shared
# by every gunicorn this user starts (two would fight over it)
control_socket_disable = True


def post_worker_init(worker: object) -> None:
    """Load the ZIP table before the first request, then freeze what is loaded.

    The table takes about half a second per process, which the first person
    to send a form after a restart would otherwise wait.  It is also about
    300,000 objects that live as long as the worker: every full collection
    walked them all, a pause of about 200 ms (measured in
    ``bench/form_intake.py``) in which every request on that worker waited.
    Frozen, the collector leaves them alone (the Celery worker does the same,
    ``intake/services/ops/warmup.py``).
    """
    import gc

    from intake.matching import geo

    geo.warm()
    gc.collect()
    gc.freeze()
