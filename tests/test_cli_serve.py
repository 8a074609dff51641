"""``intake serve`` on a machine where its ports may be taken: one clear line, never a traceback.

Each refusal happens before anything is started, so these runs need no
database: the real command in a subprocess, with a port held by the test.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from intake.cli import serve
from tests.embedded import INTAKE, ROOT, embedded_environment, free_port, holding_port


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [INTAKE, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    return lines[0]


def test_a_web_port_in_use_stops_it_with_one_line(tmp_path: Path) -> None:
    env = embedded_environment(tmp_path / "instance")
    port = free_port()
    with holding_port(port):
        done = _run(env, "serve", "--port", str(port))
    assert done.returncode != 0
    line = _one_line(done.stderr)
    assert line == (f"Error: Port {port} on 127.0.0.1 is in use (another copy of Intake?): "
                    "stop it, or choose another port with --port.")  # fmt: skip
    assert "Intake is running" not in done.stdout and "Traceback" not in done.stderr


def test_a_mailbox_port_someone_set_is_never_moved(tmp_path: Path) -> None:
    env = embedded_environment(tmp_path / "instance")
    taken = int(env["MAILBOX_PORT"])
    with holding_port(taken):
        done = _run(env, "serve", "--port", str(free_port()))
    assert done.returncode != 0
    assert f"port {taken} (MAILBOX_PORT) is in use" in _one_line(done.stderr)
    assert "Intake is running" not in done.stdout and "Traceback" not in done.stderr


def test_the_mailbox_alone_on_a_port_in_use_says_so_in_one_line(tmp_path: Path) -> None:
    env = embedded_environment(tmp_path / "instance")
    with holding_port(int(env["MAILBOX_PORT"])):
        done = _run(env, "mailbox", "serve")
    assert done.returncode != 0
    assert "set MAILBOX_PORT to a free port" in _one_line(done.stderr)


def test_the_default_mailbox_port_taken_moves_the_mailbox_and_says_where(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MAILBOX_PORT", raising=False)
    default = free_port()
    with holding_port(default):
        chosen = serve._mailbox_port(default)
    assert chosen != default
    out = capsys.readouterr().out
    assert f"Port {default} is in use" in out and f"listens on port {chosen} instead" in out


@pytest.mark.parametrize(
    ("configured", "host", "expected"),
    [
        (None, "127.0.0.1", "http://127.0.0.1:5102"),
        ("", "127.0.0.1", "http://127.0.0.1:5102"),
        (None, "0.0.0.0", "http://127.0.0.1:5102"),  # noqa: S104 (a listening address, as typed)
        ("https://support.example.org/", "127.0.0.1", "https://support.example.org"),
    ],
)
def test_links_follow_the_port_served_on_unless_a_public_address_is_set(
    configured: str | None, host: str, expected: str
) -> None:
    assert serve.public_base_url(configured, host, 5102) == expected
