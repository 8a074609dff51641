"""The chaos run counts an email whose worker died right after the server's answer apart.

Such an email ends "unknown" (the answer was never kept) and is not sent again,
like a connection dropped after DATA; any other "unknown" with an answer heard
is an answer the worker lost, and fails the run.
"""

from __future__ import annotations

from bench.chaos_checks import DEATH_WINDOW, died_just_after

KILL = 1_000_000.0  # a SIGKILL at this wall-clock second
SHUTDOWN = (1_000_100.0, 1_000_104.0)  # a warm-then-cold shutdown, first to last moment


def test_an_answer_just_before_a_kill_is_in_the_window():
    assert died_just_after(KILL - 0.01, [(KILL, KILL)])
    assert died_just_after(KILL - DEATH_WINDOW, [(KILL, KILL)])


def test_an_answer_long_before_or_after_a_kill_is_not():
    assert not died_just_after(KILL - DEATH_WINDOW - 0.1, [(KILL, KILL)])
    assert not died_just_after(KILL + 0.5, [(KILL, KILL)])  # a new worker heard it
    assert not died_just_after(KILL, [])


def test_an_answer_during_a_shutdown_is_in_the_window():
    assert died_just_after(SHUTDOWN[0] + 2.0, [(KILL, KILL), SHUTDOWN])
