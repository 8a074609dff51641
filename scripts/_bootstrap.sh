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

# The Debian packages the PDF guide needs: Pango, and fonts for names in every script a
# person may write theirs in (DejaVu: Latin, Greek, Cyrillic, Hebrew, Arabic; WenQuanYi Zen
# Hei: Chinese, Japanese, Korean; Noto: Thai, Devanagari and the other scripts of India and
# Southeast Asia). Without them a name prints as boxes on the guide's cover.
GUIDE_PACKAGES="libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core fonts-wqy-zenhei fonts-noto-core"

ensure_system_libraries() {
  # Installed from Debian's packages when we are root, named otherwise.
  if ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' && [ -d /usr/share/fonts/truetype/dejavu ] \
    && [ -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] \
    && [ -f /usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf ]; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "==> installing Pango and fonts for the PDF guide (Debian packages)"
    apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $GUIDE_PACKAGES >/dev/null
  else
    echo "The PDF guide needs Pango and fonts: apt-get install $GUIDE_PACKAGES" >&2
    return 1
  fi
}
