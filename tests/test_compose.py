"""docker-compose.yml and the Dockerfile describe processes the code really has.

No Docker engine is needed: Debian's docker-compose 1.29 validates the file
(`config -q`), and the rest is checked against the code itself.
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from intake import tasking

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"

APP_SERVICES = ("migrate", "web", "worker", "mailer", "beat")
REQUIRED_SERVICES = ("web", "worker", "mailer", "beat", "postgres", "redis", "mailpit", "migrate")
SPEC_VARIABLES = {  # PRODUCT.md section 4
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "SECRET_KEY",
    "DATA_ENCRYPTION_KEY",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "SMTP_STARTTLS",
    "MAIL_FROM",
    "PUBLIC_BASE_URL",
}
RUNTIME_FOLDERS = ("intake", "worker", "templates", "static", "migrations", "data", "translations")


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    assert isinstance(document, dict) and isinstance(document.get("services"), dict)
    return document


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    assert command, "the service has no command"
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _environment(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # the KEY=VALUE list form
        return dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return dict(env)


def _config_reads() -> set[str]:
    """Names intake/config.py reads from the environment, found in its syntax tree."""
    tree = ast.parse((ROOT / "intake" / "config.py").read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            first = node.args[0]
            if func in {
                "os.environ.get",
                "os.getenv",
                "_env_bool",
                "_env_number",
                "_secret",
            } and isinstance(first, ast.Constant):
                names.add(first.value)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            names.add(node.slice.value)
    return names


def _run_in_subprocess(code: str) -> dict[str, Any]:
    """Run code in a fresh interpreter with the test environment, return its JSON output.

    Building the Celery or gunicorn app calls create_app(), which makes its Celery
    app the process default: keep that out of the test process.
    """
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- compose validity


def _compose_config(tmp_path, env_text: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail(
            "the docker-compose binary is missing: install Debian's docker-compose package "
            "(apt-get install -y docker-compose) to validate docker-compose.yml; "
            "no Docker engine is needed"
        )
    env_file = tmp_path / "test.env"
    env_file.write_text(env_text)
    env = {
        key: value
        for key, value in os.environ.items()
        if key in {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR"}
    }
    return subprocess.run(
        [binary, "-f", str(COMPOSE_FILE.name), "--env-file", str(env_file), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_docker_compose_accepts_the_file_with_fresh_secrets(tmp_path):
    made = subprocess.run(
        [str(ROOT / "scripts" / "make-env")], capture_output=True, text=True, check=True
    )
    result = _compose_config(tmp_path, made.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stderr, result.stderr  # e.g. an unset variable


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATA_ENCRYPTION_KEY", "POSTGRES_PASSWORD"])
def test_docker_compose_refuses_to_start_without_each_secret(tmp_path, missing):
    """No committed default may stand in for a secret (it would sign anyone's admin cookie)."""
    made = subprocess.run(
        [str(ROOT / "scripts" / "make-env")], capture_output=True, text=True, check=True
    )
    without = "\n".join(
        line for line in made.stdout.splitlines() if not line.startswith(f"{missing}=")
    )
    result = _compose_config(tmp_path, without)
    assert result.returncode != 0
    assert f"set {missing} in .env" in result.stdout + result.stderr


def test_nothing_committed_works_as_a_key():
    """Neither the compose file nor .env.example carries a usable secret."""
    from intake import config

    text = COMPOSE_FILE.read_text() + (ROOT / ".env.example").read_text()
    for line in (ROOT / ".env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if name in {"SECRET_KEY", "DATA_ENCRYPTION_KEY", "POSTGRES_PASSWORD"}:
            assert value == "", f"{name} has a committed value in .env.example"
    assert ":-" not in "".join(
        line for line in text.splitlines() if "SECRET_KEY" in line or "ENCRYPTION" in line
    )
    for published in ("dev-only-change-me-not-a-secret", "bench-secret"):
        assert config.key_problem("SECRET_KEY", published)


def test_the_services_of_the_production_shape_exist(compose):
    missing = [name for name in REQUIRED_SERVICES if name not in compose["services"]]
    assert not missing, f"docker-compose.yml lacks {missing}"


# ---------------------------------------------------------------- processes


def test_web_runs_gunicorn_on_the_app_factory(compose):
    command = _command(compose["services"]["web"])
    assert command[0] == "gunicorn"
    assert "intake:create_app()" in command
    assert "--bind" in command and command[command.index("--bind") + 1].endswith(":8000")
    assert any(str(port).split(":")[-1] == "8000" for port in compose["services"]["web"]["ports"])

    import intake

    assert callable(intake.create_app)
    built = _run_in_subprocess(
        "import json\n"
        "from flask import Flask\n"
        "from gunicorn.util import import_app\n"
        f"app = import_app({command[-1]!r})\n"
        "print(json.dumps({'flask': isinstance(app, Flask),\n"
        "    'rules': sorted(r.rule for r in app.url_map.iter_rules())}))\n"
    )
    assert built["flask"], "gunicorn's app spec does not give a Flask app"
    assert {"/healthz", "/readyz"} <= set(built["rules"])


def test_worker_and_beat_run_celery_on_the_worker_module(compose):
    worker = _command(compose["services"]["worker"])
    beat = _command(compose["services"]["beat"])
    assert worker[:4] == ["celery", "-A", "worker", "worker"]
    assert beat[:4] == ["celery", "-A", "worker", "beat"]
    assert "--schedule" in beat, "beat needs a writable schedule file for a non-root user"

    assert importlib.util.find_spec("worker") is not None
    # resolve `-A worker` exactly as the celery command does
    found = _run_in_subprocess(
        "import json, worker\n"
        "from celery import Celery\n"
        "from celery.app.utils import find_app\n"
        "app = find_app('worker')\n"
        "app.loader.import_default_modules()\n"
        "print(json.dumps({'celery': isinstance(app, Celery),\n"
        "    'same': app is worker.celery,\n"
        "    'tasks': sorted(app.tasks),\n"
        "    'beat': sorted(e['task'] for e in app.conf.beat_schedule.values())}))\n"
    )
    assert found["celery"] and found["same"], "`worker.celery` is not the Celery app"
    assert "outbox.relay" in found["tasks"]
    assert "outbox.relay" in found["beat"], "beat would schedule nothing"


def test_emails_have_workers_of_their_own(compose):
    """The callback queue's worker never takes an email; the mailer takes only emails."""
    worker = _command(compose["services"]["worker"])
    mailer = _command(compose["services"]["mailer"])
    assert worker[:4] == mailer[:4] == ["celery", "-A", "worker", "worker"]
    assert worker[worker.index("--exclude-queues") + 1] == "email"
    assert "--queues" not in worker and "-Q" not in worker
    assert mailer[mailer.index("--queues") + 1] == "email"
    found = _run_in_subprocess(
        "import json, worker\n"
        "app = worker.celery\n"
        "app.loader.import_default_modules()\n"
        "queues = {name: app.amqp.router.route({}, name)['queue'].name for name in app.tasks\n"
        "          if not name.startswith('celery.')}\n"
        "print(json.dumps({'queues': queues, 'declared': sorted(app.amqp.queues)}))\n"
    )
    assert found["declared"] == ["celery", "email"]
    emails = sorted(name for name, queue in found["queues"].items() if queue == "email")
    assert emails == sorted(tasking.EMAIL_TASKS)
    queues = found["queues"]
    assert queues["submissions.process"] == queues["callbacks.enqueue"] == "celery"


def test_migrate_runs_the_intake_console_script(compose):
    assert _command(compose["services"]["migrate"]) == ["intake", "db", "upgrade"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert "intake" in scripts
    module_name, _, attribute = scripts["intake"].partition(":")
    assert importlib.util.find_spec(module_name) is not None
    assert attribute == "main"
    assert (ROOT / "migrations" / "env.py").is_file()
    assert any((ROOT / "migrations" / "versions").glob("*.py"))


def test_app_services_share_one_image_and_one_environment(compose):
    services = compose["services"]
    environments = [_environment(services[name]) for name in APP_SERVICES]
    assert all(env == environments[0] for env in environments), (
        "web, worker, beat and migrate must be configured identically"
    )
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(images) == 1 and None not in images
    assert all(services[name].get("build") for name in APP_SERVICES)


# ---------------------------------------------------------------- configuration


def test_config_py_reads_every_variable_of_the_spec():
    missing = SPEC_VARIABLES - _config_reads()
    assert not missing, f"intake/config.py does not read {sorted(missing)}"


def test_app_services_set_only_variables_the_app_reads(compose):
    reads = _config_reads()
    for name in APP_SERVICES:
        env = _environment(compose["services"][name])
        unknown = set(env) - reads
        assert not unknown, f"{name} sets {sorted(unknown)}, which intake/config.py never reads"
        absent = SPEC_VARIABLES - set(env)
        assert not absent, f"{name} does not configure {sorted(absent)}"
        assert str(env["SMTP_HOST"]).endswith("mailpit}") or env["SMTP_HOST"] == "mailpit"
        assert "@postgres:" in str(env["DATABASE_URL"])
        assert "redis:6379" in str(env["REDIS_URL"])


def test_make_env_writes_keys_the_app_accepts():
    """`scripts/make-env > .env` gives a data key of the right shape and a long secret key."""
    from intake import config
    from intake.crypto import DataKeys

    made = subprocess.run(
        [str(ROOT / "scripts" / "make-env")], capture_output=True, text=True, check=True
    )
    example = dict(
        line.split("=", 1)
        for line in made.stdout.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )
    DataKeys.from_master(example["DATA_ENCRYPTION_KEY"])  # raises when not 32 bytes
    assert config.key_problem("SECRET_KEY", example["SECRET_KEY"]) is None
    assert SPEC_VARIABLES - {"DATABASE_URL", "REDIS_URL"} <= set(example)


def test_app_services_wait_for_what_they_need(compose):
    services = compose["services"]
    for name in APP_SERVICES:
        depends = services[name].get("depends_on")
        assert isinstance(depends, dict), f"{name}: depends_on needs conditions"
        assert all("condition" in spec for spec in depends.values()), name
        assert depends["postgres"]["condition"] == "service_healthy", name
    for name in ("web", "worker", "mailer", "beat"):
        depends = services[name]["depends_on"]
        assert depends["redis"]["condition"] == "service_healthy", name
        assert depends["migrate"]["condition"] == "service_completed_successfully", name
    assert services["migrate"].get("restart", "no") == "no"


def test_healthchecks(compose):
    services = compose["services"]
    for name in ("postgres", "redis", "web", "mailpit"):
        check = services[name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli" in services["redis"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert "/readyz" in " ".join(services["web"]["healthcheck"]["test"])
    # the image's own HEALTHCHECK polls port 8000, which only web serves
    for name in ("migrate", "beat", "worker", "mailer"):
        check = services[name].get("healthcheck") or {}
        assert check.get("disable") or "8000" not in " ".join(check.get("test", [])), name


def test_data_outlives_containers(compose):
    volumes = compose.get("volumes") or {}
    for service, path in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        mounts = [str(m) for m in compose["services"][service].get("volumes", [])]
        named = [m.split(":")[0] for m in mounts if m.split(":")[1] == path]
        assert named and named[0] in volumes, f"{service} keeps its data in a container layer"


# ---------------------------------------------------------------- Dockerfile


def _dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical = re.sub(r"\\\n", " ", text)
    pairs = []
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            pairs.append((keyword.upper(), rest.strip()))
    return pairs


def test_dockerfile_copies_what_the_app_needs_at_run_time():
    instructions = _dockerfile_instructions()
    copied: list[str] = []
    for keyword, rest in instructions:
        if keyword == "COPY":
            parts = [p for p in shlex.split(rest) if not p.startswith("--")]
            copied.extend(part.rstrip("/") for part in parts[:-1])
    for folder in RUNTIME_FOLDERS:
        assert folder in copied, f"the Dockerfile does not copy {folder}/"
    for needed in ("pyproject.toml", "constraints.txt", "README.md"):
        assert needed in copied, f"`pip install .` needs {needed} in the image"
    missing = [path for path in copied if not (ROOT / path).exists()]
    assert not missing, f"the Dockerfile copies files that do not exist: {missing}"
    assert (ROOT / "data" / "specialists_demo.csv").is_file()

    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    }
    assert not ignored & set(copied), f".dockerignore hides {sorted(ignored & set(copied))}"
    assert {".venv", ".git", "instance", ".env"} <= ignored


def test_dockerfile_builds_a_non_root_gunicorn_image():
    instructions = _dockerfile_instructions()
    keywords = [keyword for keyword, _ in instructions]
    assert instructions[0][0] == "FROM" and instructions[0][1].startswith("python:3.11-slim")
    runs = " ".join(rest for keyword, rest in instructions if keyword == "RUN")
    assert re.search(r"pip install -c constraints\.txt \.(\s|$)", runs), (
        "the project is not installed with every dependency pinned by constraints.txt"
    )
    users = [rest for keyword, rest in instructions if keyword == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert keywords.index("USER") > max(
        i for i, (keyword, _) in enumerate(instructions) if keyword == "RUN"
    ), "everything after USER runs as that user: install first"

    env = " ".join(rest for keyword, rest in instructions if keyword == "ENV")
    assert "PYTHONPATH=/app" in env, (
        "intake/config.py looks for templates/ and migrations/ beside the package: "
        "the source tree must shadow the site-packages copy"
    )
    cmd = json.loads(next(rest for keyword, rest in reversed(instructions) if keyword == "CMD"))
    assert cmd == ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "2", "intake:create_app()"]
    healthcheck = next(rest for keyword, rest in instructions if keyword == "HEALTHCHECK")
    assert "/healthz" in healthcheck and "urllib" in healthcheck and "curl" not in healthcheck
