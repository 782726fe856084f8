#!/usr/bin/env bash
# Builds every Go server the test bed needs into a cache outside the repo, keyed by version,
# through the Go module proxy (go install, or go build in a wrapper module). A second run is
# instant. Usage: test/infra/ensure-bins.sh [name...]   (default: all)
# Names: kube (kube-apiserver), kube-node (kubelet, kube-controller-manager, kube-scheduler: the real-pod
# test's node), pause (the pod sandbox program of the real-pod test), fakegcs, minio, mc.
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

# Kubernetes commands from the k8s.io/kubernetes module through a wrapper module (the staging
# modules are pinned by replace). Each command is cached as <cmd>-<version>; the missing ones are
# built in ONE go build (shared packages compile once). Usage: build_kube_cmds kube-apiserver kubelet ...
kube_wrapper() { # writes the wrapper module for $KUBE_V into $1
  local dir=$1 K=$KUBE_V S="0.${KUBE_V#1.}"
  mkdir -p "$dir"
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
  } > "$dir/go.mod.new"
  # keep go.sum and the resolved requirements of an earlier run when the header did not change
  [ -f "$dir/go.mod" ] || mv "$dir/go.mod.new" "$dir/go.mod"
  rm -f "$dir/go.mod.new"
}

build_kube_cmds() {
  local K=$KUBE_V todo=() c
  for c in "$@"; do
    if [ -x "$BIN/$c-$K" ]; then echo "cached $c $K"; else todo+=("$c"); fi
  done
  [ ${#todo[@]} -eq 0 ] && return 0
  local t0; t0=$(stamp)
  # the directory name is historical (it was the apiserver's only); reusing it keeps go.sum warm
  local dir="$CACHE/src/kube-apiserver-$K"; kube_wrapper "$dir"
  local minor=${K#1.}; minor=${minor%%.*}
  local V=k8s.io/component-base/version C=k8s.io/client-go/pkg/version
  local LD="-s -w -X $V.gitVersion=v$K -X $V.gitMajor=1 -X $V.gitMinor=$minor -X $V.gitTreeState=clean -X $V.buildDate=2025-01-01T00:00:00Z -X $C.gitVersion=v$K -X $C.gitMajor=1 -X $C.gitMinor=$minor"
  local pkgs=() out; out=$(mktemp -d "$CACHE/src/kubeout.XXXXXX")
  for c in "${todo[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
  local log="$LOG/kube-$(IFS=-; echo "${todo[*]}").log"
  ( cd "$dir" && for p in "${pkgs[@]}"; do GOFLAGS="-mod=mod -trimpath" go get "$p@v$K" || exit 1; done \
      && GOFLAGS="-mod=mod -trimpath" go build -ldflags "$LD" -o "$out/" "${pkgs[@]}" ) \
      >"$log" 2>&1 || { echo "FAILED ${todo[*]} (see $log)"; tail -20 "$log"; rm -rf "$out"; return 1; }
  for c in "${todo[@]}"; do mv "$out/$c" "$BIN/$c-$K"; done
  rm -rf "$out"
  built "${todo[*]} $K" "$t0"
}

build_kube() { build_kube_cmds kube-apiserver; }
# kubelet, Job controller + garbage collector, scheduler: only for the real-pod test (test/incluster/real-pod.test.ts)
build_kube_node() { build_kube_cmds kubelet kube-controller-manager kube-scheduler; }
# the pause container of the real-pod test's pods: a static Go program that sleeps until SIGTERM
build_pause() {
  local out="$BIN/pause-1"
  [ -x "$out" ] && { echo "cached pause 1"; return 0; }
  local t0; t0=$(stamp) dir="$CACHE/src/pause-1"
  mkdir -p "$dir"
  printf 'module local/pause\n\ngo 1.22\n' > "$dir/go.mod"
  cat > "$dir/main.go" <<'GO'
// pause: the infra container of a pod sandbox. Holds the namespaces, reaps zombies, exits on TERM/INT.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			for {
				var ws syscall.WaitStatus
				pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
GO
  ( cd "$dir" && go build -ldflags "-s -w" -o "$out.tmp" . ) >"$LOG/pause.log" 2>&1 || { echo "FAILED pause"; tail -20 "$LOG/pause.log"; return 1; }
  mv "$out.tmp" "$out"
  built "pause 1" "$t0"
}

want=("$@"); [ ${#want[@]} -eq 0 ] && want=(kube kube-node pause fakegcs minio mc)
rc=0
for w in "${want[@]}"; do
  case "$w" in
    kube|kube-apiserver) build_kube || rc=1 ;;
    kube-node) build_kube_node || rc=1 ;;
    pause) build_pause || rc=1 ;;
    minio) build_minio || rc=1 ;;
    mc) build_mc || rc=1 ;;
    fakegcs|fake-gcs-server) build_fakegcs || rc=1 ;;
    *) echo "unknown binary: $w" >&2; rc=2 ;;
  esac
done
exit $rc
