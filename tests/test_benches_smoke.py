"""Every bench still starts and runs to its figures: each one's ``--smoke`` mode, run as a script.

A bench nobody runs rots unseen (issue 22): ``bench/queue.py`` hid the
standard library's ``queue`` from its folder, the access policy refused the
baseline's endpoints, and the command ``bench/RESULTS.md`` gives for the
headline intake figures failed with nobody noticing.  So every script in
``bench/`` with a ``__main__`` block runs here the way ``RESULTS.md`` runs
it, ``python bench/<name>.py --smoke`` from the repository root, and must
exit 0 having printed its figures.  The smoke sizes are tiny (see each
bench's ``--smoke``), so the figures prove only that every phase ran.
"""

from __future__ import annotations

import importlib.util
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bench.chaos_places import callable_zips
from bench.smoke import NOTICE

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"

# Scripts in bench/ that are not benches: the SMTP servers emails.py and chaos.py start.
HELPERS = {"smtp_sink", "chaos_sink"}

# What each bench prints only once its phases have run: patterns that must all appear.
FIGURES: dict[str, list[str]] = {
    "api_leads": [r"api\+idem / form throughput: [\d.]+x", r"api / form throughput: [\d.]+x"],
    "chaos": [r"^confirmations / sealed / processed +(\d+) / \1 / \1 \(lost: 0\)",
              r"^emails owed / received +\d+ / \d+ by Message-ID \(0 missing",
              r"^duplicate emails +0 outside", r"^claimed by two advocates 0 ",
              r"^outcomes recorded twice +0$", r"^answers lost +0 ", r"^duplicate effects +0 ",
              r"^drained after last fault +[\d.]+ s", r"^RESULT ok$",
              r"^advocates +\d+: \d+ claims, \d+ outcomes",
              r"^(callers' ZIPs +\d{5}|claims NOT CHECKED )"],
    "claim_queue": [r"claim-next / bare: [\d.]+x", r"submit to claimable"],
    "emails": [r"render: cold variant \d+ ms", r"no-op jobs: \d+/s", r"guide emails: [\d.]+/s",
               r"submit to SMTP accepted, worker idle: p50 \d+ ms"],
    "faults": [r"lost \(confirmed, not processed\)\s+0\b", r"^RESULT ok$"],
    # every finding fails the run: no 500, no header injection, no row that breaks a page
    "fuzz": [r"^inputs +[\d,]+ in \d+ s \([\d.]+ inputs/s", r"^server errors +0$",
             r"^header injections +0$", r"^rows that break a page +0 ", r"^RESULT ok$"],
    "form_intake": [r"In process \(Flask test client", r"gunicorn, \d+ sync workers",
                    r"intake / baseline throughput: [\d.]+x",
                    r"intake / baseline by CPU: [\d.]+x",
                    r"intake / baseline, round by round: [\d., ]+; median [\d.]+x",
                    r"intake p99 at \d+ connections: [\d.]+ ms", r"[\d.]+ forms/s, .* 0 failed",
                    r"before the worker's freeze +[\d.]+ ms, [1-9]\d{5,} objects",
                    r"after it +[\d.]+ ms, \d{1,3} objects"],
    "intake_sql_floor": [r"throughput ratio intake/one-row: [\d.]+x"],
    "match": [r"ListingIndex\.rank +n=\d+ +p50 +[\d.]+ ms", r"naive baseline +n=\d+"],
    "match_api": [r"^ +1,000 +[\d.]+ +[\d.]+ +[\d.]+ "],
    # redeliveries must have happened: a run that never exercised them proves nothing
    "visibility": [r"^redeliveries seen +[1-9]\d* ", r"^duplicate effects +0 ",
                   r"^emails owed / received +(\d+) / \1 \(0 missing", r"^RESULT ok$"],
}  # fmt: skip

# The settings the suite's conftest puts in this process's environment for the test
# database: a bench is run as from a shell, where they are not set.
SUITE_SETTINGS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_ENCRYPTION_KEY",
                  "INTAKE_INSTANCE_PATH", "RATELIMIT_ENABLED", "OUTBOX_PUBLISH_AFTER_COMMIT",
                  "SESSION_COOKIE_SECURE")  # fmt: skip
TIMEOUT = 300  # seconds; the slowest (emails.py, four guide PDFs laid out) takes about 45
# ... but for the whole-system chaos run: about 150 s on a quiet machine (its processes'
# start, a Redis outage, the first guide PDFs laid out after each worker kill)
TIMEOUTS = {"chaos": 480}


def bench_scripts() -> list[str]:
    """Every script in bench/ that runs as a program, helpers aside."""
    return sorted(
        path.stem
        for path in BENCH.glob("*.py")
        if path.stem not in HELPERS and 'if __name__ == "__main__":' in path.read_text()
    )


def run_smoke(name: str) -> tuple[int, str]:
    """``python bench/<name>.py --smoke`` from the repository root: exit code and output.

    The interpreter is the suite's own (the project's venv under scripts/test).  On a
    timeout the bench gets a Ctrl-C first, so its ``finally`` blocks drop its database
    and stop its servers, and is killed only if it does not stop.
    """
    env = {key: value for key, value in os.environ.items() if key not in SUITE_SETTINGS}
    timeout = TIMEOUTS.get(name, TIMEOUT)
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, f"bench/{name}.py", "--smoke"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True, preexec_fn=_ctrl_c_heard,
    )  # fmt: skip
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
        try:
            output, _ = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        pytest.fail(f"bench/{name}.py --smoke ran over {timeout} s:\n{tail(output)}")
    return process.returncode, output


def _ctrl_c_heard() -> None:
    """In the bench's process before it starts: Ctrl-C back to its default.

    A suite started as a background job (``./scripts/test ... &``) has SIGINT
    ignored, the bench would inherit that, and a timed-out bench could then only
    be killed, leaving its database and servers behind.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def tail(output: str, lines: int = 60) -> str:
    """The end of a bench's output, where a traceback or the missing figure shows."""
    return "\n".join(output.splitlines()[-lines:])


def test_every_bench_script_has_its_figures_listed():
    """A new bench is run here from the day it lands: it fails until its figures are named."""
    assert bench_scripts() == sorted(FIGURES), (
        "bench/ scripts and FIGURES differ: name each bench's figure lines in FIGURES "
        "(or a non-bench script in HELPERS)"
    )


@pytest.mark.bench
@pytest.mark.parametrize("name", bench_scripts())
def test_the_bench_runs_in_smoke_mode_and_prints_its_figures(name):
    returncode, output = run_smoke(name)
    assert returncode == 0, f"bench/{name}.py --smoke exited {returncode}:\n{tail(output)}"
    assert NOTICE in output, f"bench/{name}.py ignored --smoke:\n{tail(output)}"
    for pattern in FIGURES.get(name, ["(no figures listed for this bench)"]):
        assert re.search(pattern, output, re.MULTILINE), (
            f"bench/{name}.py --smoke printed no line matching {pattern!r}:\n{tail(output)}"
        )
    if "claims NOT CHECKED" in output:  # true only in the hour when no US place may be called
        assert callable_zips(60.0) == [], f"claims went unchecked:\n{tail(output)}"


def test_no_module_in_bench_shadows_another_module(monkeypatch):
    """Run as a script, a bench has bench/ first on its path: no name there may hide a module."""
    names = {path.stem for path in BENCH.glob("*.py") if path.stem != "__init__"}
    names |= {path.name for path in BENCH.iterdir() if (path / "__init__.py").exists()}
    outside = [entry for entry in sys.path if Path(entry or ".").resolve() != BENCH]
    monkeypatch.setattr(sys, "path", outside)
    shadowing = {}
    for name in sorted(names):
        if name in sys.stdlib_module_names:
            shadowing[name] = "the standard library"
        elif spec := importlib.util.find_spec(name):
            shadowing[name] = spec.origin or "a namespace package"
    assert shadowing == {}, f"bench/ modules that hide another module: {shadowing}"
