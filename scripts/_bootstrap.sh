# Shared by scripts/run and scripts/test: a project virtualenv with pinned dependencies.
# Re-installs only when pyproject.toml changed since the last install.

PY=${PYTHON:-python3}

ensure_venv() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating the virtualenv in .venv"
    "$PY" -m venv .venv
  fi
  local stamp=".venv/.installed-${extras:-base}"
  local want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing Python dependencies (pinned in pyproject.toml)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    if [ -n "$extras" ]; then
      .venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[$extras]"
    else
      .venv/bin/python -m pip install --quiet --disable-pip-version-check -e .
    fi
    echo "$want" > "$stamp"
  fi
}
