"""The chaos run's plan: who submits what and when, and the clock the faults keep.

Shared by the clients, the advocates, the faults and the checks (``chaos.py`` runs them).
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field

PASSWORD = "a long chaos bench password"


@dataclass
class Plan:
    """What to send, and when each fault strikes (seconds from the first submission)."""

    n: int = 2000
    rate: float = 8.0
    clients: int = 20
    advocates: int = 4
    kill_every: float = 30.0
    outage: float = 60.0
    refuse_share: float = 0.2
    drops: int = 3
    refuse_seconds: float | None = None  # how long the 451s last (default: 30% of the span)
    refuse_min: int = 100  # ... and for at least this many messages
    variants: int = 2  # guide variants (diagnoses): each first one is seconds of layout
    drain_timeout: float = 900.0
    settings: dict[str, str] = field(default_factory=dict)
    # where callers live: ZIPs inside calling hours for the whole run (``chaos_places.py``)
    zips: list[str] = field(default_factory=lambda: ["60601", "10001"])
    callable: bool = True  # False: no US place was inside calling hours for the run

    @property
    def span(self) -> float:
        return self.n / self.rate

    def zip_of(self, pid: int) -> str:
        """A person's ZIP: the same every time they come back."""
        return self.zips[pid % len(self.zips)]


class Log:
    """The faults as they happen, and when the last one ended."""

    def __init__(self, started: float) -> None:
        self.started, self.lines, self.last_end = started, [], 0.0
        self.lock = threading.Lock()
        # when workers died (wall-clock first and last moment), to match the sink's records
        self.deaths: list[tuple[float, float]] = []

    def died(self, first: float, last: float | None = None) -> None:
        with self.lock:
            self.deaths.append((first, last if last is not None else first))

    def clock(self) -> float:
        return time.monotonic() - self.started

    def note(self, line: str) -> None:
        with self.lock:
            self.lines.append(f"{self.clock():6.1f} s  {line}")
            self.last_end = max(self.last_end, self.clock())
        print(f"  [{self.clock():6.1f} s] {line}", flush=True)

    def at(self, moment: float) -> None:
        time.sleep(max(0.0, moment - self.clock()))


def person(pid: int, variants: int = 2) -> dict[str, str]:
    """Who submits: the same pid is the same person (name, phone, email) every time."""
    first = "Zoë" if pid % 7 == 0 else "Chaos"
    local = f"zoë{pid}" if pid % 40 == 0 else f"chaos{pid}"  # a few need SMTPUTF8
    return {
        "first_name": first, "last_name": f"Person{pid}", "email": f"{local}@example.com",
        "phone": f"(312) {200 + pid // 10000}-{pid % 10000:04d}", "relationship": "self",
        # two guide variants (times a ZIP or none): a cold one takes seconds to lay out
        "diagnosis_type": ["pleural", "peritoneal"][pid % variants],
        "stage": ["2", "4"][pid % variants],
        "veteran": "no",
    }  # fmt: skip


def plan_of(n: int) -> tuple[str, int, bool]:
    """Submission ``n``: its kind, its person and whether it is sent twice."""
    rng = random.Random(n)
    draw = rng.random()
    kind = ("guide_zip" if draw < 0.2 else "guide" if draw < 0.4
            else "callback" if draw < 0.75 else "api")  # fmt: skip
    pid = rng.randrange(n) if n > 10 and rng.random() < 0.1 else n  # a tenth come back
    return kind, pid, rng.random() < 0.05
