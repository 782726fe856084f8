#!/usr/bin/env bash
# Run before `npm test` (pretest) and `npm run demo`: installs what is missing, idempotently and
# cached (node_modules through `npm ci`; the test bed's Debian packages, Go servers and the flytekit
# venv through test/infra/install-deps.sh, ~2 s when everything is there). FLYTE_DOCTOR_SKIP_DEPS=1
# skips it (e.g. a CI step that just ran it).
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${FLYTE_DOCTOR_SKIP_DEPS:-}" = 1 ] && exit 0
if [ ! -x node_modules/.bin/vitest ] || [ ! -x node_modules/.bin/tsc ]; then
  echo "== npm ci (node_modules missing)"
  npm ci --no-audit --no-fund
fi
bash test/infra/install-deps.sh
