# Shared by scripts/start and scripts/test: make sure the virtual environment and the
# system packages exist. Idempotent and quick when everything is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LAWTRAIL_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

need_apt=()
ensure_deb() {  # ensure_deb <command-or-path> <debian-package>
  if ! command -v "$1" >/dev/null 2>&1 && [ ! -e "$1" ]; then need_apt+=("$2"); fi
}

ensure_lib() {  # ensure_lib <shared-library-soname> <debian-package>
  local libs
  libs="$(ldconfig -p 2>/dev/null || true)"  # no pipe: grep -q closing early would trip pipefail
  if [[ "$libs" != *"$1"* ]]; then need_apt+=("$2"); fi
}

install_debs() {
  [ ${#need_apt[@]} -eq 0 ] && return 0
  echo "==> installing Debian packages: ${need_apt[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
}

ensure_venv() {  # ensure_venv <extras>
  local extras="$1"
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment in $VENV"
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.lawtrail-$extras.stamp"
  local want
  # setup.py and the C source too: `pip install -e` builds the C extension (decision 0032) in place
  want="$(cat "$ROOT/pyproject.toml" "$ROOT/setup.py" "$ROOT"/src/lawtrail/adapters/db/*.c | sha256sum | cut -c1-16)"
  local built=("$ROOT"/src/lawtrail/adapters/db/_ledger_native*.so)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -e "${built[0]}" ]; then
    echo "==> installing Python packages ($extras)"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null
    if [ "$extras" = "run" ]; then
      "$VENV/bin/python" -m pip install -q -e "$ROOT"
    else
      "$VENV/bin/python" -m pip install -q -e "$ROOT[$extras]"
    fi
    echo "$want" > "$stamp"
  fi
}
