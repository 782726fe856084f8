#!/usr/bin/env bash
# flyte-doctor benchmarks (issue 7): `npm run bench`, or `bash bench/bench.sh [--only a,b] [--quick]`.
#
# Sections (default: all, in this order):
#   coldstart   node -e 0 vs flyte-doctor --version / --help (launcher + CLI bundle + lazy SDK bundles), and the same for a single-file build
#   preflight   full `preflight` against the healthy test bed
#   runbook     bench/runbook.sh (kubectl, psql, mc, curl, grpcurl, dig, openssl) per phase, sequential and parallel, vs flyte-doctor preflight and verify
#   stall       every endpoint stalled, --timeout 2s (preflight and verify)
#   rss         peak RSS of preflight and verify
#   profile     node --cpu-prof of --version, preflight and verify; top self-time functions
#   nodes       preflight and verify against the healthy test bed on each Node of the matrix (the machine's, 22, 24: test/infra/node-versions.sh)
#   scale       verify and preflight against a private kube-apiserver holding 0 / 100 / 1,000 / 10,000 pods (+ size/10 namespaces)
# Results: bench/results/ (hyperfine JSON, rss.tsv, profiles, summary.md). Targets are checked in
# summary.md; no timing assertion lives in the test suite.
#
# Environment: BENCH_RUNS (default 10), BENCH_SCALE_SIZES (default "0 100 1000 10000"),
# BENCH_KEEP_KUBE=1 keeps the private API server (bench/results/kube) running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
R=$REPO/bench/results
CACHE=${FLYTE_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flyte-doctor}
BIN=$CACHE/bin
RUNS=${BENCH_RUNS:-10}
SIZES=${BENCH_SCALE_SIZES:-0 100 1000 10000}
ONLY=all
STALL_DNS_PORT=${BENCH_STALL_DNS_PORT:-15997}
KUBE_DIR=$R/kube
while [ $# -gt 0 ]; do
  case $1 in
    --only) ONLY=$2; shift 2 ;;
    --only=*) ONLY=${1#--only=}; shift ;;
    --quick) RUNS=3; SIZES=${BENCH_SCALE_SIZES:-0 100 1000}; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "bench.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
ALL=coldstart,preflight,runbook,stall,rss,profile,nodes,scale
[ "$ONLY" = all ] && ONLY=$ALL
want() { [[ ",$ONLY," == *",$1,"* ]]; }
log() { printf '\n[bench] %s\n' "$*" >&2; }

# ---------------------------------------------------------------- tools
apt_ready=
need_apt() { # need_apt <command> <package>
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -n "$apt_ready" ] || { apt-get update -qq; apt_ready=1; }
  log "installing $2 (for $1)"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need_apt hyperfine hyperfine
need_apt dig bind9-dnsutils
[ -x /usr/bin/time ] || { need_apt /usr/bin/time time; }
need_apt psql postgresql-client
need_apt openssl openssl
need_apt curl curl
command -v kubectl >/dev/null || { echo "bench: kubectl not found (test/infra/install-deps.sh installs it)" >&2; exit 1; }
mkdir -p "$BIN"
if [ ! -x "$BIN/grpcurl" ]; then
  log "building grpcurl v1.9.3 into $BIN (Go module proxy)"
  GOTOOLCHAIN=local GOBIN=$BIN go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3
fi
ls "$BIN"/mc-* >/dev/null 2>&1 || bash test/infra/ensure-bins.sh

# ---------------------------------------------------------------- build, test bed, inputs
mkdir -p "$R"
# a full run starts from a clean slate; a partial run (--only) keeps the other sections' last results
if [ "$ONLY" = "$ALL" ]; then rm -rf "$R"/*.json "$R"/*.tsv "$R"/*.txt "$R"/*.md "$R/prof"; fi
# Build and measure a snapshot of the working tree in $R/build, so that another `npm run build` in
# the repo (several people share it) can neither break a run mid-measurement nor be clobbered by it.
snapshot() { # snapshot <dir>: the working tree without node_modules, dist, .testbed, bench/results, .git
  rm -rf "$1"; mkdir -p "$1"
  tar -C "$REPO" --exclude=./node_modules --exclude=./dist --exclude=./.testbed --exclude=./bench/results --exclude=./.git -cf - . | tar -C "$1" -xf -
  ln -s "$REPO/node_modules" "$1/node_modules"
}
BUILD=$R/build
log "building the CLI (snapshot of the working tree in $BUILD)"
snapshot "$BUILD"; (cd "$BUILD" && node scripts/build.mjs >&2)
log "test bed"; npm run -s testbed:up >/dev/null
TB=$REPO/.testbed
node bench/prepare.mjs "$TB/state.json" "$R" "$STALL_DNS_PORT" >/dev/null
DNS=$(node -p "require('$TB/state.json').dns.server")
DIST=$BUILD/dist
CLI=(node "$DIST/flyte-doctor.mjs")
HEALTHY="-f $TB/values.yaml --flytectl-config $TB/flytectl.yaml --kubeconfig $TB/kubeconfig --dns-server $DNS"
S=$R/stall
STALLED="-f $S/values.yaml --flytectl-config $S/flytectl.yaml --kubeconfig $S/kubeconfig --dns-server 127.0.0.1:$STALL_DNS_PORT --timeout 2s"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -d "$KUBE_DIR" ] && [ "${BENCH_KEEP_KUBE:-}" != 1 ]; then npx -s tsx bench/load-kube.ts down "$KUBE_DIR" 2>/dev/null || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

machine() {
  {
    echo "date: $(date -u +%FT%TZ)"
    echo "commit: $(git rev-parse --short HEAD)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(free -m | awk '/^Mem:/{print $2" MiB total, "$7" MiB available"}')"
    echo "loadavg: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "node: $(node --version)"
    echo "hyperfine: $(hyperfine --version | cut -d' ' -f2)"
  } > "$R/machine.txt"
}
machine

hf() { # hf <name> [hyperfine args...] -- results in $R/<name>.json
  local name=$1; shift
  hyperfine -N --style basic --export-json "$R/$name.json" "$@" >&2
}
# peak RSS (kB) and wall time of one command, N times: lines "<label>\t<maxrss_kb>\t<wall_s>\t<exit>" in rss.tsv
rss_seen=","
rss() { # rss <label> <runs> cmd...
  local label=$1 n=$2; shift 2
  # a label measured again replaces its rows from an earlier run
  if [[ $rss_seen != *",$label,"* ]] && [ -f "$R/rss.tsv" ]; then
    awk -F'\t' -v l="$label" '$1 != l' "$R/rss.tsv" > "$R/.rss" && mv "$R/.rss" "$R/rss.tsv"
  fi
  rss_seen+="$label,"
  for _ in $(seq "$n"); do
    /usr/bin/time -f '%M %e %x' -o "$R/.time" "$@" >/dev/null 2>&1 || true
    read -r kb wall code < <(tail -1 "$R/.time")
    printf '%s\t%s\t%s\t%s\n' "$label" "$kb" "$wall" "$code" >> "$R/rss.tsv"
  done
}

need_private_kube() {
  [ -f "$KUBE_DIR/bench-kube.json" ] && return 0
  log "private kube-apiserver + etcd (ports 26443 / 22379-22381) with flyte-binary installed"
  npx -s tsx bench/load-kube.ts up "$KUBE_DIR" >/dev/null
}
PRIVATE="-f $TB/values.yaml --flytectl-config $TB/flytectl.yaml --kubeconfig $KUBE_DIR/kubeconfig --dns-server $DNS"

# ---------------------------------------------------------------- 1. cold start
if want coldstart; then
  log "cold start (launcher + CLI bundle + lazily loaded SDK bundles)"
  hf coldstart --warmup 3 --runs $((RUNS * 2)) \
    -n 'node -e 0' 'node -e 0' \
    -n 'flyte-doctor --version' "node $DIST/flyte-doctor.mjs --version" \
    -n 'flyte-doctor --help' "node $DIST/flyte-doctor.mjs --help"
  log "cold start (single-file build, in a temp copy)"
  SF=$R/build-single
  snapshot "$SF"
  (cd "$SF" && FLYTE_DOCTOR_SINGLE_FILE=1 node scripts/build.mjs >&2)
  { echo "$(stat -c %s "$SF/dist/cli.cjs") single-file"; echo "$(stat -c %s "$DIST/cli.cjs") split-cli"
    echo "$(du -sb "$DIST/sdk" | cut -f1) split-sdk-bundles"; } > "$R/bundle-sizes.txt"
  hf coldstart-single --warmup 3 --runs $((RUNS * 2)) \
    -n 'node -e 0' 'node -e 0' \
    -n 'single-file --version' "node $SF/dist/flyte-doctor.mjs --version" \
    -n 'single-file --help' "node $SF/dist/flyte-doctor.mjs --help" \
    -n 'single-file preflight' "node $SF/dist/flyte-doctor.mjs preflight $HEALTHY -o json" \
    -n 'split preflight' "node $DIST/flyte-doctor.mjs preflight $HEALTHY -o json"
  rm -rf "$SF"
fi

# ---------------------------------------------------------------- 2. full preflight
if want preflight; then
  log "full preflight against the healthy test bed"
  "${CLI[@]}" preflight $HEALTHY -o json > "$R/preflight-report.json" || true
  # the first is what every run after the second on a machine costs (src/launcher.ts: V8 code cache);
  # the second what a first run costs (a fresh CI container): no code cache read or written
  hf preflight --warmup 2 --runs "$RUNS" -i -n 'preflight' "node $DIST/flyte-doctor.mjs preflight $HEALTHY -o json" \
    -n 'preflight, no code cache (a first run)' "env NODE_DISABLE_COMPILE_CACHE=1 node $DIST/flyte-doctor.mjs preflight $HEALTHY -o json"
fi

# ---------------------------------------------------------------- 3. runbook vs flyte-doctor
if want runbook; then
  need_private_kube
  log "runbook (real CLIs) vs flyte-doctor"
  # each runbook once first: proves it passes, keeps per-step times
  for ph in preflight verify; do RUNBOOK_PHASE=$ph RUNBOOK_VERBOSE=1 bash bench/runbook.sh 2> "$R/runbook-steps-$ph.txt"; done
  hf runbook --warmup 1 --runs "$(( RUNS > 5 ? 5 : RUNS ))" -i \
    -n 'runbook preflight (sequential)' "env RUNBOOK_PHASE=preflight bash $REPO/bench/runbook.sh" \
    -n 'runbook preflight (parallel)' "env RUNBOOK_PHASE=preflight RUNBOOK_PARALLEL=1 bash $REPO/bench/runbook.sh" \
    -n 'flyte-doctor preflight' "node $DIST/flyte-doctor.mjs preflight $HEALTHY -o json" \
    -n 'runbook verify (sequential)' "env RUNBOOK_PHASE=verify bash $REPO/bench/runbook.sh" \
    -n 'runbook verify (parallel)' "env RUNBOOK_PHASE=verify RUNBOOK_PARALLEL=1 bash $REPO/bench/runbook.sh" \
    -n 'flyte-doctor verify' "node $DIST/flyte-doctor.mjs verify $PRIVATE -o json"
fi

# ---------------------------------------------------------------- 4. every endpoint stalled
if want stall; then
  log "every endpoint stalled, --timeout 2s"
  node bench/udp-stall.mjs "$STALL_DNS_PORT" >/dev/null & pids+=($!)
  sleep 0.3
  "${CLI[@]}" preflight $STALLED -o json > "$R/stall-preflight-report.json" || true
  "${CLI[@]}" verify $STALLED -o json > "$R/stall-verify-report.json" || true
  hf stall --warmup 1 --runs "$(( RUNS > 5 ? 5 : RUNS ))" -i \
    -n 'preflight (stalled)' "node $DIST/flyte-doctor.mjs preflight $STALLED -o json" \
    -n 'verify (stalled)' "node $DIST/flyte-doctor.mjs verify $STALLED -o json" \
    -n 'verify (stalled, --concurrency 32)' "node $DIST/flyte-doctor.mjs verify $STALLED --concurrency 32 -o json"
fi

# ---------------------------------------------------------------- 5. peak RSS
if want rss; then
  need_private_kube
  log "peak RSS"
  rss 'node -e 0' 5 node -e 0
  rss '--version' 5 "${CLI[@]}" --version
  rss 'preflight' 5 "${CLI[@]}" preflight $HEALTHY -o json
  rss 'verify' 5 "${CLI[@]}" verify $PRIVATE -o json
fi

# ---------------------------------------------------------------- 6. CPU profile
if want profile; then
  log "CPU profiles"
  rm -rf "$R/prof"; mkdir -p "$R/prof"
  node --cpu-prof --cpu-prof-dir="$R/prof/version" --cpu-prof-interval 200 "$DIST/flyte-doctor.mjs" --version >/dev/null
  node --cpu-prof --cpu-prof-dir="$R/prof/preflight" --cpu-prof-interval 200 "$DIST/flyte-doctor.mjs" preflight $HEALTHY -o json >/dev/null || true
  if [ -f "$KUBE_DIR/bench-kube.json" ]; then
    node --cpu-prof --cpu-prof-dir="$R/prof/verify" --cpu-prof-interval 200 "$DIST/flyte-doctor.mjs" verify $PRIVATE -o json >/dev/null || true
  fi
  for p in "$R"/prof/*/; do BENCH_DIST=$DIST node bench/cpuprofile-top.mjs "$p"/*.cpuprofile > "${p%/}.txt"; done
  log "what each lazily loaded SDK bundle costs to load"
  node bench/chunk-cost.mjs "$DIST" 5 > "$R/chunk-cost.md"
fi

# ---------------------------------------------------------------- 7. per Node version
# The goals hold per supported Node: the machine's (20 here), 22 and 24, each warmed up (its own code
# cache). nodes.tsv: "<node version>\t<hyperfine json>".
if want nodes; then
  log "preflight and verify on each Node of the matrix"
  : > "$R/nodes.tsv"
  node_dirs=("machine $(dirname "$(command -v node)")")
  while read -r major dir; do node_dirs+=("$major $dir"); done < <(bash test/infra/node-versions.sh 22 24)
  for entry in "${node_dirs[@]}"; do
    dir=${entry#* }; v=$("$dir/node" --version)
    for _ in 1 2 3; do "$dir/node" "$DIST/flyte-doctor.mjs" preflight $HEALTHY -o json >/dev/null || true; "$dir/node" "$DIST/flyte-doctor.mjs" verify $HEALTHY -o json >/dev/null || true; done
    hf "nodes-$v" --warmup 1 --runs "$RUNS" -i \
      -n "node -e 0" "$dir/node -e 0" \
      -n "preflight" "$dir/node $DIST/flyte-doctor.mjs preflight $HEALTHY -o json" \
      -n "verify" "$dir/node $DIST/flyte-doctor.mjs verify $HEALTHY -o json"
    printf '%s\t%s\n' "$v" "nodes-$v" >> "$R/nodes.tsv"
  done
fi

# ---------------------------------------------------------------- 8. scale (last: the private API server keeps what it was loaded with)
if want scale; then
  need_private_kube
  : > "$R/scale.tsv"
  for size in $SIZES; do
    log "scale: load $size pods + namespaces into the private API server"
    npx -s tsx bench/load-kube.ts load "$KUBE_DIR" "$size"
    counts=$(npx -s tsx bench/load-kube.ts count "$KUBE_DIR")
    printf '%s\t%s\n' "$size" "$counts" >> "$R/scale.tsv"
    # verify (what the issue names) and preflight (kubernetes.capacity.resources lists every pod in the cluster)
    "${CLI[@]}" verify $PRIVATE -o json > "$R/scale-$size-verify-report.json" || true
    "${CLI[@]}" preflight $PRIVATE -o json > "$R/scale-$size-preflight-report.json" || true
    hf "scale-$size" --warmup 1 --runs "$(( RUNS > 5 ? 5 : RUNS ))" -i \
      -n "verify ($size)" "node $DIST/flyte-doctor.mjs verify $PRIVATE -o json" \
      -n "preflight ($size)" "node $DIST/flyte-doctor.mjs preflight $PRIVATE -o json"
    rss "scale-$size verify" 3 "${CLI[@]}" verify $PRIVATE -o json
    rss "scale-$size preflight" 3 "${CLI[@]}" preflight $PRIVATE -o json
  done
  # the private instance is deleted on exit; with BENCH_KEEP_KUBE=1 delete the load by label instead
  if [ "${BENCH_KEEP_KUBE:-}" = 1 ]; then npx -s tsx bench/load-kube.ts clean "$KUBE_DIR"; fi
fi

node bench/summarize.mjs "$R" | tee "$R/summary.md"
