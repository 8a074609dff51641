"""The short chaos run of ``bench/faults.py``: ~100 forms, a worker SIGKILL, Redis restarted empty.

Real gunicorn, worker, beat and redis-server processes on a fresh database,
with the re-publish and sweep times shortened so the test drains in seconds
(the full-size run with production timings is the benchmark's job).
"""

from __future__ import annotations

from bench.faults import Plan, run


def test_nothing_is_lost_or_done_twice_through_a_worker_kill_and_a_redis_restart(tmp_path):
    plan = Plan(
        forms=100,
        rate=20.0,
        clients=4,
        kill_every=2.5,  # once, halfway through the forms
        redis_restart_at=3.5,
        redis_outage_at=None,
        settings={
            "OUTBOX_REPUBLISH_SECONDS": "4",
            "OUTBOX_RELAY_SECONDS": "1",
            "SUBMISSION_SWEEP_GRACE_SECONDS": "3",
        },
        drain_timeout=90.0,
    )
    report = run(plan, keep_logs=tmp_path / "logs")
    summary = "\n".join(report.lines())
    assert len(report.faults) == 2, summary
    assert report.confirmations == 100 and report.refused == 0, summary
    assert report.lost == 0 and report.processed == report.received == 100, summary
    assert report.requests == 100, summary
    assert report.duplicate_effects == 0, summary
    assert report.jobs_left == 0 and report.jobs_gave_up == 0, summary
    assert report.drained_after is not None and report.drained_after < 60, summary
