"""Keys from the environment: missing, published or short ones stop the app from starting."""

from __future__ import annotations

import base64
import secrets

import pytest

from intake import config

POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def production_env(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", POSTGRES)
    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    monkeypatch.setenv(
        "DATA_ENCRYPTION_KEY", base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    )
    return monkeypatch


def test_fresh_keys_are_accepted(production_env):
    settings = config.load_settings()
    assert len(settings["SECRET_KEY"]) >= config.MIN_SECRET_KEY_LENGTH


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SECRET_KEY", "dev-only-change-me-not-a-secret", "published example value"),
        ("DATA_ENCRYPTION_KEY", "dBz0bI2InPsoUg5o_SNsVZGjKSwu8aLmGY4hnZjSLDY=", "published"),
        ("SECRET_KEY", "short-but-not-published", "at least 32"),
    ],
)
def test_a_published_or_short_key_is_refused(production_env, name, value, says):
    production_env.setenv(name, value)
    with pytest.raises(RuntimeError, match=says):
        config.load_settings()


@pytest.mark.parametrize("name", ["SECRET_KEY", "DATA_ENCRYPTION_KEY"])
def test_a_missing_key_is_refused_outside_the_embedded_mode(production_env, name):
    production_env.delenv(name)
    with pytest.raises(RuntimeError, match=f"{name} must be set"):
        config.load_settings()


def test_the_demo_folder_and_its_databases_are_private(monkeypatch, tmp_path):
    folder = tmp_path / "instance"
    monkeypatch.delenv("DATABASE_URL")
    monkeypatch.delenv("SECRET_KEY")
    monkeypatch.delenv("DATA_ENCRYPTION_KEY")
    monkeypatch.setenv("INTAKE_INSTANCE_PATH", str(folder))
    settings = config.load_settings()
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    assert folder.stat().st_mode & 0o777 == 0o700
    for name in config.EMBEDDED_FILES:
        assert (folder / name).stat().st_mode & 0o777 == 0o600
    assert (folder / "secret_key").stat().st_mode & 0o777 == 0o600
    assert settings["SESSION_COOKIE_SECURE"] is False and settings["HSTS_SECONDS"] == 0


def test_outside_the_demo_cookies_are_secure_and_hsts_is_on(production_env):
    production_env.delenv("SESSION_COOKIE_SECURE", raising=False)
    settings = config.load_settings()
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["HSTS_SECONDS"] == 31_536_000


def test_an_advocate_holds_one_claim_unless_the_environment_says_more(production_env, monkeypatch):
    assert config.load_settings()["MAX_OPEN_CLAIMS"] == 1
    monkeypatch.setenv("MAX_OPEN_CLAIMS", "3")
    assert config.load_settings()["MAX_OPEN_CLAIMS"] == 3
    monkeypatch.setenv("MAX_OPEN_CLAIMS", "0")  # never none at all: nobody could claim
    assert config.load_settings()["MAX_OPEN_CLAIMS"] == 1


def test_the_broker_visibility_timeout_reaches_celery_with_a_restore_sweep_to_match(
    production_env,
):
    """A 10 s timeout must act as 10 s: kombu's own sweep (every 100 s) would make it 100."""
    from celery import _state
    from flask import Flask

    from intake import tasking

    assert config.load_settings()["BROKER_VISIBILITY_TIMEOUT"] == 900
    production_env.setenv("BROKER_VISIBILITY_TIMEOUT", "10")
    settings = config.load_settings()
    flask_app = Flask(__name__)
    flask_app.config.update(settings, CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    previous = _state.default_app
    try:
        options = tasking.init_celery(flask_app).conf.broker_transport_options
    finally:
        _state.set_default_app(previous)
    assert options["visibility_timeout"] == 10
    assert options["unacked_restore_interval"] * options["unacked_restore_throttle"] == 2
    production = tasking.delivery_settings("redis://127.0.0.1:6379/0")["broker_transport_options"]
    assert production["visibility_timeout"] == 900  # kombu's own 10 s x 10 sweep, unchanged
    assert (production["unacked_restore_interval"], production["unacked_restore_throttle"]) == (
        10,
        10,
    )


def test_staffed_hours_default_to_weekdays_eight_to_eight_eastern(production_env):
    production_env.delenv("STAFFED_HOURS", raising=False)
    assert config.load_settings()["STAFFED_HOURS"] == "Mon-Fri 08:00-20:00 America/New_York"
    production_env.setenv("STAFFED_HOURS", "Mon-Sat 09:00-17:00 America/Chicago")
    assert config.load_settings()["STAFFED_HOURS"] == "Mon-Sat 09:00-17:00 America/Chicago"


@pytest.mark.parametrize("value", ["Mon-Fri 8am-8pm", "Mon-Fri 08:00-20:00 Eastern", "weekdays"])
def test_staffed_hours_that_do_not_read_stop_the_start_with_one_clear_line(production_env, value):
    production_env.setenv("STAFFED_HOURS", value)
    with pytest.raises(RuntimeError, match="^STAFFED_HOURS is not usable: .*like") as error:
        config.load_settings()
    assert "\n" not in str(error.value)


def test_the_intake_command_says_a_bad_setting_in_one_line_and_stops(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "SECRET_KEY", "DATA_ENCRYPTION_KEY", "REDIS_URL",
                        "CELERY_BROKER_URL")}  # fmt: skip
    env |= {"STAFFED_HOURS": "Mon-Fri 8-20 America/New_York", "INTAKE_INSTANCE_PATH": str(tmp_path)}
    intake = Path(sys.executable).parent / "intake"
    done = subprocess.run(
        [str(intake), "queue", "list"], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "Error: STAFFED_HOURS is not usable: 'Mon-Fri 8-20': write days then hours, "
        "like Mon-Fri 09:00-17:30"
    ]
