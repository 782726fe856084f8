#!/usr/bin/env bash
# The runbook operators type today to check a Flyte target, with the real CLIs: what flyte-doctor
# replaces. bench/bench.sh times it against `flyte-doctor preflight` and `verify` on the same test
# bed, per phase, one step after the other and with every independent step in the background (`&`,
# as a hurried operator would). Every step must succeed (set -e; a background step that fails fails
# the run), so a broken runbook cannot look fast. RUNBOOK_VERBOSE=1 prints each step's wall time.
#
#   RUNBOOK_PHASE=preflight  Kubernetes install rights and capacity, PostgreSQL, DNS, object store, TLS
#   RUNBOOK_PHASE=verify     the release's objects and runtime RBAC, PostgreSQL, DNS, object store, TLS,
#                            ingress HTTP and gRPC (the six services flyte-doctor calls)
#   RUNBOOK_PHASE=all        both (the default)
#   RUNBOOK_PARALLEL=1       independent steps at once (chains that depend on each other stay in order)
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

phase=${RUNBOOK_PHASE:-all}
case "$phase" in preflight|verify|all) ;; *) echo "runbook: RUNBOOK_PHASE must be preflight, verify or all, not '$phase'" >&2; exit 2 ;; esac
out="$work/out"

step() {
  local name=$1; shift
  local t0; t0=$(date +%s%N)
  "$@" >"$out" 2>&1 || { echo "runbook step failed: $name" >&2; cat "$out" >&2; exit 1; }
  if [ "${RUNBOOK_VERBOSE:-}" = 1 ]; then printf '%6d ms  %s\n' $(( ($(date +%s%N) - t0) / 1000000 )) "$name" >&2; fi
}
expect() { grep -qi -- "$1" "$out" || { echo "runbook: expected '$1' in the output of the last step" >&2; cat "$out" >&2; exit 1; }; }

# A job: a function run in order here, or in the background with its own output file when parallel.
pids=()
job() {
  if [ "${RUNBOOK_PARALLEL:-}" = 1 ]; then
    ( out="$work/out.$BASHPID"; "$@" ) &
    pids+=($!)
  else
    "$@"
  fi
}
wait_all() { local p rc=0; for p in "${pids[@]}"; do wait "$p" || rc=1; done; pids=(); return $rc; }

# --- Kubernetes, preflight: version, namespace, install permissions, capacity
can_i() { step "kubectl auth can-i $*" kubectl auth can-i "$@"; }
kube_preflight() {
  job step 'kubectl version' kubectl version -o json
  job step 'kubectl get namespace' kubectl get namespace "$FLYTE_NS"
  for r in namespaces customresourcedefinitions.apiextensions.k8s.io clusterroles.rbac.authorization.k8s.io \
           clusterrolebindings.rbac.authorization.k8s.io mutatingwebhookconfigurations.admissionregistration.k8s.io; do
    job can_i create "$r"
  done
  for r in deployments.apps services serviceaccounts configmaps secrets ingresses.networking.k8s.io; do
    job can_i create "$r" -n "$FLYTE_NS"
  done
  job can_i escalate clusterroles.rbac.authorization.k8s.io
  job can_i bind clusterroles.rbac.authorization.k8s.io
  job nodes
}
nodes() { step 'kubectl describe nodes' kubectl describe nodes; expect Allocatable; }

# --- Kubernetes, verify: the release's workloads, Services and their endpoints, ingress, config,
# the CRD, the webhook, Secrets, project quotas, and what Flyte's own ServiceAccount may do in its
# namespace and in every project-domain namespace (flyte.rbac.runtime: `can-i --list` as the account
# the Deployment runs as, one per namespace, as an operator would read it)
kube_verify() {
  job step 'kubectl version' kubectl version -o json
  job step 'kubectl get deployments' kubectl get deployments -n "$FLYTE_NS" -o wide
  job step 'kubectl get pods' kubectl get pods -n "$FLYTE_NS" -o wide
  job step 'kubectl get services,endpoints' kubectl get services,endpoints -n "$FLYTE_NS"
  job step 'kubectl get ingresses' kubectl get ingresses -n "$FLYTE_NS"
  job step 'kubectl get configmaps' kubectl get configmaps -n "$FLYTE_NS"
  job step 'kubectl get namespaces' kubectl get namespaces
  job crd_established
  job step 'kubectl get mutatingwebhookconfigurations' kubectl get mutatingwebhookconfigurations
  job step 'kubectl get secrets' kubectl get secrets -n "$FLYTE_NS"
  job step 'kubectl get resourcequota,limitrange' kubectl get resourcequota,limitrange -A
  job runtime_rbac
}
crd_established() {
  step 'kubectl get crd flyteworkflows' kubectl get crd flyteworkflows.flyte.lyft.com -o jsonpath='{.status.conditions[?(@.type=="Established")].status}'
  expect True
}
runtime_rbac() {
  step 'kubectl get deployments (service account)' kubectl get deployments -n "$FLYTE_NS" -o jsonpath='{.items[*].spec.template.spec.serviceAccountName}'
  local sa ns; sa=$(tr ' ' '\n' < "$out" | sort -u | head -1)
  [ -n "$sa" ] || { echo "runbook: no service account on the Deployments in $FLYTE_NS" >&2; exit 1; }
  step 'kubectl get namespaces (projects)' kubectl get namespaces -o name
  local projects; projects=$(sed -n "s#^namespace/\(.*-\(development\|staging\|production\)\)\$#\1#p" "$out")
  for ns in "$FLYTE_NS" $projects; do
    can_i --list --as="system:serviceaccount:$FLYTE_NS:$sa" -n "$ns"; expect pods
  done
}

# --- PostgreSQL: connect over TLS, version, TLS in use, room for connections, privileges (one session)
postgres() {
  step 'psql' psql "sslmode=require connect_timeout=10" -XAt \
    -c 'select version()' \
    -c 'select ssl from pg_stat_ssl where pid = pg_backend_pid()' \
    -c 'show max_connections' -c 'select count(*) from pg_stat_activity' \
    -c "select has_database_privilege(current_user, current_database(), 'CREATE'), has_schema_privilege(current_user, 'public', 'CREATE')"
  expect PostgreSQL
}

# --- DNS: the admin host through the configured resolver
dns() { step 'dig' dig +short +time=2 +tries=1 -p "$DNS_PORT" "@$DNS_SERVER" "$INGRESS_HOST"; expect .; }

# --- Object store: endpoint and clock, then put / get / ls / presigned get / rm / confirm gone, per bucket
s3_endpoint() { step 'curl S3 endpoint (Date header)' curl -sS -o /dev/null -D - "$S3_ENDPOINT/"; expect date:; }
bucket() {
  local b=$1
  step "mc ls $b" "$MC" --quiet ls "target/$b"
  step "mc pipe (put) $b" bash -c "echo 'flyte-doctor runbook probe' | \"\$0\" --quiet pipe \"target/$b/$probe\"" "$MC"
  step "mc cat (get) $b" "$MC" --quiet cat "target/$b/$probe"; expect 'runbook probe'
  step "mc ls prefix $b" "$MC" --quiet ls "target/$b/${probe%/*}/"; expect probe.txt
  step "mc share download $b" "$MC" --quiet share download --expire 5m "target/$b/$probe"
  local share; share=$(grep -o 'http[^ ]*X-Amz-Signature=[0-9a-f]*' "$out" | head -1)
  step "curl presigned $b" curl -fsS "$share"; expect 'runbook probe'
  step "mc rm $b" "$MC" --quiet rm "target/$b/$probe"
  step "mc stat (gone) $b" bash -c "! \"\$0\" --quiet stat \"target/$b/$probe\"" "$MC"
}
storage() { job s3_endpoint; for b in $BUCKETS; do job bucket "$b"; done; }

# --- TLS: handshake with ALPN h2, chain against the CA, hostname, expiry
tls() {
  step 'openssl s_client' bash -c "openssl s_client -connect '$INGRESS_ADDR:$INGRESS_PORT' -servername '$INGRESS_HOST' -CAfile '$CA_CERT' -alpn h2 -verify_hostname '$INGRESS_HOST' -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -enddate -ext subjectAltName"
  expect notAfter
}

# --- Ingress HTTP: healthcheck, console, REST API
healthcheck() { step 'curl /healthcheck' curl -fsS --cacert "$CA_CERT" "${resolve[@]}" "$url/healthcheck"; }
console() { step 'curl /console' curl -fsS -o /dev/null --cacert "$CA_CERT" "${resolve[@]}" "$url/console"; }
projects() { step 'curl /api/v1/projects' curl -fsS --cacert "$CA_CERT" "${resolve[@]}" -H 'accept: application/json' "$url/api/v1/projects"; expect projects; }

# --- Ingress gRPC (the admin backend serves no reflection: protos given explicitly)
grpc_health() {
  step 'grpcurl Health/Check' "$GRPCURL" -cacert "$CA_CERT" -authority "$INGRESS_HOST" -import-path "$HEALTH_PROTOS" -proto health.proto \
    "$INGRESS_ADDR:$INGRESS_PORT" grpc.health.v1.Health/Check; expect SERVING
}
grpc_version() {
  step 'grpcurl AdminService/GetVersion' "$GRPCURL" -cacert "$CA_CERT" -authority "$INGRESS_HOST" -import-path "$FLYTEIDL_PROTOS" -import-path "$BENCH_PROTOS" \
    -proto admin_getversion.proto "$INGRESS_ADDR:$INGRESS_PORT" flyteidl.service.AdminService/GetVersion; expect controlPlaneVersion
}

grpc_status() {
  local code=$1 method=$2
  step "grpcurl $method" bash -c '"$0" -cacert "$1" -authority "$2" -import-path "$3" -proto flyte_probes.proto "$4" "$5" 2>&1; true' \
    "$GRPCURL" "$CA_CERT" "$INGRESS_HOST" "$BENCH_PROTOS" "$INGRESS_ADDR:$INGRESS_PORT" "flyteidl.service.$method"
  expect "Code: $code"
}

if [ "$phase" = preflight ] || [ "$phase" = all ]; then
  kube_preflight; job postgres; job dns; storage; job tls
  wait_all
fi
if [ "$phase" = verify ] || [ "$phase" = all ]; then
  kube_verify; job postgres; job dns; storage; job tls
  job healthcheck; job console; job projects; job grpc_health; job grpc_version
  # the four other services ingress.grpc.* calls: an empty request answered with a status code that
  # proves the route reaches flyteadmin (UNIMPLEMENTED: auth off, so not registered; INVALID_ARGUMENT:
  # the handler refused the empty request)
  job grpc_status Unimplemented IdentityService/UserInfo
  job grpc_status Unimplemented AuthMetadataService/GetPublicClientConfig
  job grpc_status InvalidArgument DataProxyService/CreateUploadLocation
  job grpc_status InvalidArgument SignalService/ListSignals
  wait_all
fi
