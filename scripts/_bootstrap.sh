# Shared by scripts/run and scripts/test: a project virtualenv with pinned dependencies.
# Re-installs only when pyproject.toml or constraints.txt changed since the last install;
# constraints.txt pins the transitive dependencies too, so every machine gets the same set.

PY=${PYTHON:-python3}

quiet_pip() {
  # pip's output only when it fails (this machine's pip config adds noisy index warnings)
  local log
  log=$(mktemp)
  if ! .venv/bin/python -m pip "$@" --quiet --disable-pip-version-check >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2 || true
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

ensure_venv() {
  local extras="$1"
  if [ ! -x .venv/bin/python ]; then
    echo "==> creating the virtualenv in .venv"
    "$PY" -m venv .venv
  fi
  local stamp=".venv/.installed-${extras:-base}"
  local want
  want=$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "==> installing Python dependencies (pinned in pyproject.toml and constraints.txt)"
    quiet_pip install --upgrade pip
    if [ -n "$extras" ]; then
      quiet_pip install -c constraints.txt -e ".[$extras]"
    else
      quiet_pip install -c constraints.txt -e .
    fi
    echo "$want" > "$stamp"
  fi
}

ensure_system_libraries() {
  # WeasyPrint (the guide's PDF) needs Pango; a fallback font covers names in other scripts.
  # Installed from Debian's packages when we are root, named otherwise.
  if ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' && [ -d /usr/share/fonts/truetype/dejavu ]; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Pango and DejaVu fonts for the PDF guide (Debian packages)"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 \
      fonts-dejavu-core >/dev/null
  else
    echo "The PDF guide needs Pango: apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core" >&2
    return 1
  fi
}
