"""The chaos run's faults, each in a thread of its own at its moment in the plan."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

from bench.chaos_plan import Log, Plan
from bench.chaos_sink import Control
from bench.cluster import Cluster


class Faults:
    """Each fault in a thread of its own, at its moment in the plan."""

    def __init__(self, cluster: Cluster, plan: Plan, sink: Control, log: Log) -> None:
        self.cluster, self.plan, self.sink, self.log = cluster, plan, sink, log
        span = plan.span
        self.schedule: list[tuple[float, Callable[[], None]]] = [
            (span * 0.10, self.sink_refusing),
            (span * 0.20, self.sigterm_twice),
            (span * 0.35, self.redis_restart),
            (span * 0.50, self.redis_outage),
            (span * 0.70, self.sink_drops),
        ]
        self.threads = [threading.Thread(target=self._kills)] + [
            threading.Thread(target=self._at, args=(moment, fault))
            for moment, fault in self.schedule
        ]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join()

    def _at(self, moment: float, fault: Callable[[], None]) -> None:
        self.log.at(moment)
        fault()

    def _kills(self) -> None:
        at, turn = self.plan.kill_every, 0
        while at < self.plan.span:
            self.log.at(at)
            worker = self.cluster.workers[turn % len(self.cluster.workers)]
            self.log.died(time.time())
            self.cluster.restart(worker)
            self.log.note(f"{worker.name} SIGKILLed, restarted")
            at, turn = at + self.plan.kill_every, turn + 1

    def sigterm_twice(self) -> None:
        worker = self.cluster.workers[-1]
        began, began_wall = time.monotonic(), time.time()
        worker.signal(signal.SIGTERM)  # warm shutdown: finish what runs, take nothing new
        time.sleep(1.0)
        worker.signal(signal.SIGTERM)  # the operator again; Celery 5.5+ ignores it ...
        time.sleep(1.0)
        how = "warm shutdown finished"
        if worker.alive():
            worker.signal(signal.SIGQUIT)  # ... so the cold shutdown is asked for by SIGQUIT
            how = "cold shutdown (SIGQUIT) finished"
            if not worker.wait(30):
                worker.kill()
                how = "cold shutdown did not finish in 30 s: SIGKILLed"
        worker.kill()  # pool children a cold shutdown left behind
        self.log.died(began_wall, time.time())
        worker.start()
        self.log.note(f"{worker.name} SIGTERM twice: {how} after "
                      f"{time.monotonic() - began:.1f} s, restarted")  # fmt: skip

    def redis_restart(self) -> None:
        self.cluster.restart(self.cluster.redis)
        self.log.note("Redis SIGKILLed, restarted empty")

    def redis_outage(self) -> None:
        self.cluster.redis.kill()
        self.log.note(f"Redis SIGKILLed, down for {self.plan.outage:.0f} s")
        time.sleep(self.plan.outage)
        self.cluster.redis.start()
        self.log.note("Redis back, empty")

    def sink_refusing(self) -> None:
        """451s for a while, and for at least ``refuse_min`` messages (the first emails may
        wait for their PDFs' layout, and for workers that were just killed)."""
        before = len(self.sink.records())
        self.sink.set(refuse_share=self.plan.refuse_share)
        self.log.note(f"SMTP answers 451 to {self.plan.refuse_share:.0%} of messages")
        until = time.monotonic() + (self.plan.refuse_seconds or self.plan.span * 0.3)
        cap = until + 180.0
        while time.monotonic() < cap and (
            time.monotonic() < until or len(self.sink.records()) - before < self.plan.refuse_min
        ):
            time.sleep(1.0)
        self.sink.set(refuse_share=0.0)
        self.log.note(f"SMTP answers 250 again ({len(self.sink.records()) - before} "
                      f"messages in the window)")  # fmt: skip

    def sink_drops(self) -> None:
        self.sink.set(drop_budget=self.plan.drops)
        self.log.note(f"SMTP drops the connection after DATA for the next {self.plan.drops}")
