#!/usr/bin/env bash
# Installs the real Python Flyte client (flytekit, from PyPI) into a cached venv outside the repo,
# for the differential test (test/flytekit): flyte-doctor's client-path verdict must agree with
# whether flytekit's FlyteRemote reaches flyteadmin. Idempotent: a venv that already has the pinned
# version importable is left as it is; a broken or half-built one is rebuilt. ~1 min cold.
#   venv: ${FLYTE_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flyte-doctor}/venv-flytekit
set -euo pipefail
FLYTEKIT_V=1.16.31
CACHE="${FLYTE_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flyte-doctor}"
VENV="$CACHE/venv-flytekit"
PY="${PYTHON:-python3}"
t0=$(date +%s)

installed() {
  [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c "
import sys
from importlib.metadata import version
import flytekit.remote  # importable, not just listed
sys.exit(0 if version('flytekit') == '$FLYTEKIT_V' else 1)" >/dev/null 2>&1
}

if installed; then
  echo "== flytekit $FLYTEKIT_V already in $VENV"
  exit 0
fi
command -v "$PY" >/dev/null 2>&1 || { echo "python3 is not installed: the flytekit differential test needs it (apt-get install python3 python3-venv)" >&2; exit 1; }
if ! "$PY" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  echo "== $PY has no venv/ensurepip: installing python3-venv"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-venv
fi
mkdir -p "$CACHE"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "flytekit==$FLYTEKIT_V"
installed || { echo "flytekit $FLYTEKIT_V is not importable from $VENV after the install" >&2; exit 1; }
echo "== flytekit $FLYTEKIT_V installed in $VENV in $(( $(date +%s) - t0 ))s"
