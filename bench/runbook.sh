#!/usr/bin/env bash
# The runbook operators type today to check a Flyte target, with the real CLIs, one step after the
# other: what flyte-doctor replaces. bench/bench.sh times it against `flyte-doctor preflight` and
# `verify` on the same test bed. Every step must succeed (set -e), so a broken runbook cannot look
# fast. RUNBOOK_VERBOSE=1 prints each step's wall time.
#
# Inputs (bench/bench.sh writes them to bench/results/runbook.env from .testbed/state.json):
#   KUBECONFIG  FLYTE_NS  PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD  S3_ENDPOINT S3_ACCESS_KEY
#   S3_SECRET_KEY  BUCKETS ("metadata userdata")  INGRESS_HOST INGRESS_PORT INGRESS_ADDR  CA_CERT
#   DNS_SERVER DNS_PORT  MC GRPCURL  FLYTEIDL_PROTOS HEALTH_PROTOS  BENCH_PROTOS
set -euo pipefail
: "${RUNBOOK_ENV:=$(dirname "$0")/results/runbook.env}"
# shellcheck disable=SC1090
[ -f "$RUNBOOK_ENV" ] && . "$RUNBOOK_ENV"
export KUBECONFIG PGHOST PGPORT PGDATABASE PGUSER PGPASSWORD

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MC_CONFIG_DIR="$work/mc"
export MC_HOST_target="${S3_ENDPOINT%%://*}://${S3_ACCESS_KEY}:${S3_SECRET_KEY}@${S3_ENDPOINT#*://}"
probe="flyte-doctor-runbook/$$-$RANDOM/probe.txt"
url="https://$INGRESS_HOST:$INGRESS_PORT"
resolve=(--resolve "$INGRESS_HOST:$INGRESS_PORT:$INGRESS_ADDR")

step() {
  local name=$1; shift
  if [ "${RUNBOOK_VERBOSE:-}" = 1 ]; then
    local t0; t0=$(date +%s%N)
    "$@" >"$work/out" 2>&1 || { echo "runbook step failed: $name" >&2; cat "$work/out" >&2; exit 1; }
    printf '%6d ms  %s\n' $(( ($(date +%s%N) - t0) / 1000000 )) "$name" >&2
  else
    "$@" >"$work/out" 2>&1 || { echo "runbook step failed: $name" >&2; cat "$work/out" >&2; exit 1; }
  fi
}
expect() { grep -qi -- "$1" "$work/out" || { echo "runbook: expected '$1' in the output of the last step" >&2; cat "$work/out" >&2; exit 1; }; }

# --- Kubernetes: version, namespace, install permissions, capacity
step 'kubectl version' kubectl version -o json; expect serverVersion
step 'kubectl get namespace' kubectl get namespace "$FLYTE_NS"
for r in namespaces customresourcedefinitions.apiextensions.k8s.io clusterroles.rbac.authorization.k8s.io \
         clusterrolebindings.rbac.authorization.k8s.io mutatingwebhookconfigurations.admissionregistration.k8s.io; do
  step "kubectl auth can-i create $r" kubectl auth can-i create "$r"
done
for r in deployments.apps services serviceaccounts configmaps secrets ingresses.networking.k8s.io; do
  step "kubectl auth can-i create $r -n $FLYTE_NS" kubectl auth can-i create "$r" -n "$FLYTE_NS"
done
step 'kubectl auth can-i escalate clusterroles' kubectl auth can-i escalate clusterroles.rbac.authorization.k8s.io
step 'kubectl auth can-i bind clusterroles' kubectl auth can-i bind clusterroles.rbac.authorization.k8s.io
step 'kubectl describe nodes' kubectl describe nodes; expect Allocatable

# --- PostgreSQL: connect over TLS, version, TLS in use, room for connections, privileges (one session)
step 'psql' psql "sslmode=require connect_timeout=10" -XAt \
  -c 'select version()' \
  -c 'select ssl from pg_stat_ssl where pid = pg_backend_pid()' \
  -c 'show max_connections' -c 'select count(*) from pg_stat_activity' \
  -c "select has_database_privilege(current_user, current_database(), 'CREATE'), has_schema_privilege(current_user, 'public', 'CREATE')"
expect PostgreSQL

# --- DNS: the admin host through the configured resolver
step 'dig' dig +short +time=2 +tries=1 -p "$DNS_PORT" "@$DNS_SERVER" "$INGRESS_HOST"; expect .

# --- Object store: endpoint and clock, then put / get / ls / presigned get / rm / confirm gone, per bucket
step 'curl S3 endpoint (Date header)' curl -sS -o /dev/null -D - "$S3_ENDPOINT/"; expect date:
for b in $BUCKETS; do
  step "mc ls $b" "$MC" --quiet ls "target/$b"
  step "mc pipe (put) $b" bash -c "echo 'flyte-doctor runbook probe' | \"\$0\" --quiet pipe \"target/$b/$probe\"" "$MC"
  step "mc cat (get) $b" "$MC" --quiet cat "target/$b/$probe"; expect 'runbook probe'
  step "mc ls prefix $b" "$MC" --quiet ls "target/$b/${probe%/*}/"; expect probe.txt
  step "mc share download $b" "$MC" --quiet share download --expire 5m "target/$b/$probe"
  share=$(grep -o 'http[^ ]*X-Amz-Signature=[0-9a-f]*' "$work/out" | head -1)
  step "curl presigned $b" curl -fsS "$share"; expect 'runbook probe'
  step "mc rm $b" "$MC" --quiet rm "target/$b/$probe"
  step "mc stat (gone) $b" bash -c "! \"\$0\" --quiet stat \"target/$b/$probe\"" "$MC"
done

# --- TLS: handshake with ALPN h2, chain against the CA, hostname, expiry
step 'openssl s_client' bash -c "openssl s_client -connect '$INGRESS_ADDR:$INGRESS_PORT' -servername '$INGRESS_HOST' -CAfile '$CA_CERT' -alpn h2 -verify_hostname '$INGRESS_HOST' -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -enddate -ext subjectAltName"
expect notAfter

# --- Ingress HTTP: healthcheck, console, REST API
step 'curl /healthcheck' curl -fsS --cacert "$CA_CERT" "${resolve[@]}" "$url/healthcheck"
step 'curl /console' curl -fsS -o /dev/null --cacert "$CA_CERT" "${resolve[@]}" "$url/console"
step 'curl /api/v1/projects' curl -fsS --cacert "$CA_CERT" "${resolve[@]}" -H 'accept: application/json' "$url/api/v1/projects"; expect projects

# --- Ingress gRPC (the admin backend serves no reflection: protos given explicitly)
step 'grpcurl Health/Check' "$GRPCURL" -cacert "$CA_CERT" -authority "$INGRESS_HOST" -import-path "$HEALTH_PROTOS" -proto health.proto \
  "$INGRESS_ADDR:$INGRESS_PORT" grpc.health.v1.Health/Check; expect SERVING
step 'grpcurl AdminService/GetVersion' "$GRPCURL" -cacert "$CA_CERT" -authority "$INGRESS_HOST" -import-path "$FLYTEIDL_PROTOS" -import-path "$BENCH_PROTOS" \
  -proto admin_getversion.proto "$INGRESS_ADDR:$INGRESS_PORT" flyteidl.service.AdminService/GetVersion; expect controlPlaneVersion
