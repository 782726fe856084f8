#!/usr/bin/env bash
# Builds every Go server the test bed needs into a cache outside the repo, keyed by version,
# through the Go module proxy (go install, or go build in a wrapper module). A second run is
# instant. Usage: test/infra/ensure-bins.sh [name...]   (default: all)
set -euo pipefail
CACHE="${FLYTE_DOCTOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/flyte-doctor}"
BIN="$CACHE/bin"
LOG="$CACHE/logs"
mkdir -p "$BIN" "$LOG" "$CACHE/src"
export GOTOOLCHAIN=local GOFLAGS=-trimpath CGO_ENABLED=0
export GOPROXY="${GOPROXY:-https://proxy.golang.org,direct}"

MINIO_V=v0.0.0-20260212201848-7aac2a2c5b7c     # master HEAD after RELEASE.2025-10-15T17-29-55Z (README-only changes); the release pseudo-version is not served by the proxy
MC_V=v0.0.0-20250813083541-7394ce0dd2a8        # RELEASE.2025-08-13T08-35-41Z
FAKEGCS_V=v1.55.1
KUBE_V=1.33.13

stamp() { date +%s; }
built() { printf 'built %s in %ss\n' "$1" "$(( $(stamp) - $2 ))"; }

# go install into a per-version temp GOBIN, then move to <name>-<version>
go_install() { # name module version
  local name=$1 mod=$2 ver=$3 out="$BIN/$1-$3"
  [ -x "$out" ] && { echo "cached $name $ver"; return 0; }
  local t0; t0=$(stamp)
  local tmp; tmp=$(mktemp -d "$CACHE/src/gobin.XXXXXX")
  GOBIN="$tmp" go install "$mod@$ver" >"$LOG/$name.log" 2>&1 || { echo "FAILED $name (see $LOG/$name.log)"; tail -20 "$LOG/$name.log"; return 1; }
  mv "$tmp"/* "$out"; rm -rf "$tmp"
  built "$name $ver" "$t0"
}

build_minio()   { go_install minio github.com/minio/minio "$MINIO_V"; }
# the checksum database has no entry for this mc pseudo-version (404); skip it for this module only
build_mc()      { GONOSUMDB=github.com/minio/mc go_install mc github.com/minio/mc "$MC_V"; }
build_fakegcs() { go_install fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKEGCS_V"; }

build_kube() {
  local K=$KUBE_V S="0.${KUBE_V#1.}" out="$BIN/kube-apiserver-$KUBE_V"
  [ -x "$out" ] && { echo "cached kube-apiserver $K"; return 0; }
  local t0; t0=$(stamp)
  local dir="$CACHE/src/kube-apiserver-$K"; mkdir -p "$dir"
  {
    printf 'module local/kube-apiserver-build\n\ngo 1.24.0\n\ngodebug default=go1.24\n\nrequire k8s.io/kubernetes v%s\n\nreplace (\n' "$K"
    for m in api apiextensions-apiserver apimachinery apiserver cli-runtime client-go cloud-provider \
             cluster-bootstrap code-generator component-base component-helpers controller-manager cri-api \
             cri-client csi-translation-lib dynamic-resource-allocation endpointslice externaljwt kms \
             kube-aggregator kube-controller-manager kube-proxy kube-scheduler kubectl kubelet metrics \
             mount-utils pod-security-admission sample-apiserver sample-cli-plugin sample-controller; do
      printf '\tk8s.io/%s => k8s.io/%s v%s\n' "$m" "$m" "$S"
    done
    printf ')\n'
  } > "$dir/go.mod"
  local minor=${K#1.}; minor=${minor%%.*}
  local V=k8s.io/component-base/version C=k8s.io/client-go/pkg/version
  local LD="-s -w -X $V.gitVersion=v$K -X $V.gitMajor=1 -X $V.gitMinor=$minor -X $V.gitTreeState=clean -X $V.buildDate=2025-01-01T00:00:00Z -X $C.gitVersion=v$K -X $C.gitMajor=1 -X $C.gitMinor=$minor"
  ( cd "$dir" && GOFLAGS="-mod=mod -trimpath" go get "k8s.io/kubernetes/cmd/kube-apiserver@v$K" \
      && GOFLAGS="-mod=mod -trimpath" go build -ldflags "$LD" -o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver ) \
      >"$LOG/kube-apiserver.log" 2>&1 || { echo "FAILED kube-apiserver (see $LOG/kube-apiserver.log)"; tail -20 "$LOG/kube-apiserver.log"; return 1; }
  mv "$out.tmp" "$out"
  built "kube-apiserver $K" "$t0"
}

want=("$@"); [ ${#want[@]} -eq 0 ] && want=(kube fakegcs minio mc)
rc=0
for w in "${want[@]}"; do
  case "$w" in
    kube|kube-apiserver) build_kube || rc=1 ;;
    minio) build_minio || rc=1 ;;
    mc) build_mc || rc=1 ;;
    fakegcs|fake-gcs-server) build_fakegcs || rc=1 ;;
    *) echo "unknown binary: $w" >&2; rc=2 ;;
  esac
done
exit $rc
