#!/usr/bin/env bash
# `npm run demo`: the main job on an embedded default. Installs what is missing (scripts/ensure-deps.sh),
# builds, brings the real-server test bed up on 127.0.0.1 with a healthy flyte-binary install, runs
# `preflight` and `verify` against it, then two broken targets and their diagnosis. The test bed keeps
# running afterwards (`npm run testbed:down` stops it).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
npm run --silent build
npm run --silent testbed:up -- --install flyte-binary
# shellcheck disable=SC1091
. .testbed/env
fd() { node dist/flyte-doctor.mjs "$@" -f .testbed/values.yaml --flytectl-config .testbed/flytectl.yaml --kubeconfig .testbed/kubeconfig --dns-server "$FLYTE_DOCTOR_DNS_SERVER"; }
step() { printf '\n\033[1m== %s\033[0m\n$ flyte-doctor %s\n' "$1" "$2"; }
rc=0
step 'a healthy target, before install' 'preflight -f values.yaml …'
fd preflight || rc=$?
step 'a healthy target, after install' 'verify -f values.yaml …'
fd verify || rc=$?
step 'broken: the database password in the values is wrong' 'preflight … --set configuration.database.password=… --only database'
fd preflight --set configuration.database.password=not-the-password --only database || true
step 'broken: a placeholder left in the values (probes of it are blocked, not run)' "preflight … --set 'configuration.storage.metadataContainer=<BUCKET_NAME>' --only storage"
fd preflight --set 'configuration.storage.metadataContainer=<BUCKET_NAME>' --only storage || true
printf '\nThe test bed keeps running: `npm run testbed:down` stops it.\n'
exit "$rc"
