#!/usr/bin/env bash
# Installs everything the real-server test bed needs on a fresh Debian machine, idempotently:
# Debian packages (apt-get; a no-op when present) and the Go servers (test/infra/ensure-bins.sh,
# cached outside the repo keyed by version). Prints how long each part took.
set -euo pipefail
cd "$(dirname "$0")/../.."
t_all=$(date +%s)
# pgbouncer: a real PgBouncer in front of PostgreSQL (test/checks/database/postgres.auth.test.ts; its
# service is never started). containerd, runc, containernetworking-plugins: the real-pod test's node (test/incluster/real-pod.test.ts
# starts its own containerd under a temp dir; the package's service is never started)
PKGS=(nginx-light dnsmasq-base etcd-server etcd-client libxml2-utils hyperfine postgresql-15 pgbouncer openssl containerd runc containernetworking-plugins)

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
t0=$(date +%s)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d keeps the packages' services (postgresql, nginx, etcd) from starting: the test bed
  # runs its own instances on 127.0.0.1 ports (containerd: the real-pod test starts its own).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null; $SUDO chmod +x /usr/sbin/policy-rc.d; created_policy=1
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ "${created_policy:-0}" = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
else
  echo "== apt packages already installed: ${PKGS[*]}"
fi
echo "== apt took $(( $(date +%s) - t0 ))s"

if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed: the Go servers (MinIO, mc, fake-gcs-server, kube-apiserver) are built with it" >&2
  exit 1
fi
t0=$(date +%s)
echo "== Go servers ($(go version | awk '{print $3}'))"
bash test/infra/ensure-bins.sh
echo "== Go servers took $(( $(date +%s) - t0 ))s"
bash test/infra/flytekit.sh   # the real Python client (flytekit) for the differential test, in a cached venv
echo "== install-deps took $(( $(date +%s) - t_all ))s"
