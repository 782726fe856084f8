// Objects the values (or rendered manifests) reference and the install silently relies on: Secrets
// and ConfigMaps (and the keys read from each), the IngressClass, cert-manager Issuers and the TLS
// Secrets they issue, StorageClasses / claims of an umbrella chart's bundled dependencies, Services
// that expose flyteadmin, and the API kinds a render uses. Names and keys only, never a value.
//
// Sources (flyteorg/flyte charts, 1.x line; the stored template versions read are named):
//  - flyte-binary templates/deployment.yaml @6254bfd6: the `config` projected volume (configMapName,
//    configSecretName, inlineConfigMap, inlineSecretRef; or externalConfigMap + externalSecretRef, which
//    replace them), `cluster-resource-templates` (clusterResourceTemplates.externalConfigMap /
//    inlineConfigMap), `auth` (admin auth Secret + clientSecretsExternalSecretRef, only when
//    configuration.auth.enabled), envFrom extraEnvVarsConfigMap / extraEnvVarsSecret, extraEnvVars,
//    extraVolumes; templates/serviceaccount.yaml @28abf1c0 (imagePullSecrets when serviceAccount.create);
//    templates/ingress/http.yaml @060830ba and grpc.yaml @06f0d40e (httpIngressClassName / grpcIngressClassName
//    before ingressClassName, httpTls / grpcTls before tls; annotations = commonAnnotations +
//    ingress.commonAnnotations + http/grpcAnnotations); auth-client-secret.yaml (keys client_secret,
//    oidc_client_secret).
//  - flyte-core templates/common/ingress.yaml @0608a145 (ingressClassName, tls.secretName default
//    `<release>-flyte-tls`, annotations + separateGrpcIngressAnnotations on the gRPC Ingress),
//    admin/deployment.yaml @01ae1ac3 (databaseSecret volume at /etc/db, additionalVolumes, env),
//    common/secret.yaml @506408bb (secretManifest rendered as is), values.yaml at 89cf9cc7
//    (secrets.adminOauthClientCredentials: `enabled` + `clientSecret` -> the chart creates
//    `secretName`; `enabled` without `clientSecret` -> the user creates it with key client_secret).
//  - umbrella charts: flyte templates/postgres/deployment.yaml, minio/deployment.yaml,
//    redis/statefulset.yaml (emptyDir volumes: no claim); flyte-sandbox templates/storage/{db,minio}/pv.yaml
//    and pvc.yaml (the chart's own hostPath PersistentVolumes, class `manual`, claimed through the
//    bitnami subcharts' `existingClaim`); bitnami postgresql/minio `persistence.storageClass`,
//    `global.storageClass` / `global.defaultStorageClass` ("-" = no dynamic provisioning).
import type { Reader } from '../config/charts.js';
import type { ManifestSet } from '../config/manifests.js';
import type { Chart, ObjectReference } from '../config/target.js';
import { CHART_DEFAULT, formatPath, isDict, type Path } from '../config/values.js';

type Dict = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Shared knowledge (used by the kubernetes.objects.* checks)

export const TLS_KEYS = ['tls.crt', 'tls.key'];
export const PULL_SECRET_KEYS = ['.dockerconfigjson', '.dockercfg'];
export const PULL_SECRET_TYPES = ['kubernetes.io/dockerconfigjson', 'kubernetes.io/dockercfg'];
export const CERT_MANAGER_GROUP = 'cert-manager.io';
export const DEFAULT_INGRESS_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
export const DEFAULT_STORAGE_CLASS_ANNOTATIONS = ['storageclass.kubernetes.io/is-default-class', 'storageclass.beta.kubernetes.io/is-default-class'];

/** Ingress controllers by the `spec.controller` of their IngressClass, and the annotation prefixes they read. */
export const INGRESS_CONTROLLERS: { controller: RegExp; name: string; annotations: string[]; grpc?: string }[] = [
  { controller: /^k8s\.io\/ingress-nginx$/, name: 'ingress-nginx (Kubernetes community)', annotations: ['nginx.ingress.kubernetes.io/'], grpc: 'nginx.ingress.kubernetes.io/backend-protocol: GRPC on the gRPC Ingress' },
  { controller: /^nginx\.org\/ingress-controller$/, name: 'NGINX Ingress Controller (F5 NGINX)', annotations: ['nginx.org/', 'appprotect.f5.com/', 'appprotectdos.f5.com/'], grpc: 'nginx.org/grpc-services: <the gRPC Service> (and TLS on the Ingress: it serves gRPC over HTTP/2 only with TLS)' },
  { controller: /^ingress\.k8s\.aws\/alb$/, name: 'AWS Load Balancer Controller', annotations: ['alb.ingress.kubernetes.io/'], grpc: 'alb.ingress.kubernetes.io/backend-protocol-version: GRPC (HTTPS listener required)' },
  { controller: /^traefik\.io\/ingress-controller$/, name: 'Traefik', annotations: ['traefik.ingress.kubernetes.io/'], grpc: 'traefik.ingress.kubernetes.io/service.serversscheme: h2c on the gRPC Service' },
  { controller: /^haproxy\.org\/ingress-controller/, name: 'HAProxy Kubernetes Ingress Controller', annotations: ['haproxy.org/'], grpc: 'haproxy.org/server-proto: h2' },
  { controller: /^haproxy-ingress\.github\.io\/controller$/, name: 'HAProxy Ingress', annotations: ['haproxy-ingress.github.io/'], grpc: 'haproxy-ingress.github.io/backend-protocol: grpc' },
  { controller: /^projectcontour\.io\//, name: 'Contour', annotations: ['projectcontour.io/'], grpc: 'projectcontour.io/upstream-protocol.h2c: "<port>" on the gRPC Service' },
  { controller: /^azure\/application-gateway$/, name: 'Azure Application Gateway Ingress Controller', annotations: ['appgw.ingress.kubernetes.io/'] },
  { controller: /^k8s\.io\/gce|^networking\.gke\.io\//, name: 'GKE Ingress', annotations: ['ingress.gcp.kubernetes.io/', 'networking.gke.io/'] },
  { controller: /^istio\.io\/ingress-controller$/, name: 'Istio', annotations: [] },
  { controller: /^konghq\.com\//, name: 'Kong', annotations: ['konghq.com/'], grpc: 'konghq.com/protocols: grpc,grpcs' },
];

/** The controller an IngressClass's `spec.controller` names, when flyte-doctor knows it. */
export function ingressController(controller: string): (typeof INGRESS_CONTROLLERS)[number] | undefined {
  return INGRESS_CONTROLLERS.find((c) => c.controller.test(controller));
}

/** The controller an annotation key was written for (by its prefix), when it names one controller. */
export function annotationController(key: string): { name: string; prefix: string } | undefined {
  for (const c of INGRESS_CONTROLLERS) {
    for (const p of c.annotations) if (key.startsWith(p)) return { name: c.name, prefix: p };
  }
  return undefined;
}

/** API versions the Kubernetes project removed, with the version to use and the release that removed it. */
export const REMOVED_APIS: Record<string, { use: string; removedIn: string }> = {
  'extensions/v1beta1/Ingress': { use: 'networking.k8s.io/v1', removedIn: '1.22' },
  'networking.k8s.io/v1beta1/Ingress': { use: 'networking.k8s.io/v1', removedIn: '1.22' },
  'networking.k8s.io/v1beta1/IngressClass': { use: 'networking.k8s.io/v1', removedIn: '1.22' },
  'extensions/v1beta1/Deployment': { use: 'apps/v1', removedIn: '1.16' },
  'apps/v1beta1/Deployment': { use: 'apps/v1', removedIn: '1.16' },
  'apps/v1beta2/Deployment': { use: 'apps/v1', removedIn: '1.16' },
  'extensions/v1beta1/DaemonSet': { use: 'apps/v1', removedIn: '1.16' },
  'apps/v1beta2/DaemonSet': { use: 'apps/v1', removedIn: '1.16' },
  'apps/v1beta1/StatefulSet': { use: 'apps/v1', removedIn: '1.16' },
  'apps/v1beta2/StatefulSet': { use: 'apps/v1', removedIn: '1.16' },
  'extensions/v1beta1/ReplicaSet': { use: 'apps/v1', removedIn: '1.16' },
  'extensions/v1beta1/NetworkPolicy': { use: 'networking.k8s.io/v1', removedIn: '1.16' },
  'extensions/v1beta1/PodSecurityPolicy': { use: 'policy/v1beta1 (itself removed in 1.25: use Pod Security Admission)', removedIn: '1.16' },
  'policy/v1beta1/PodSecurityPolicy': { use: 'Pod Security Admission (namespace labels); PodSecurityPolicy has no replacement API', removedIn: '1.25' },
  'policy/v1beta1/PodDisruptionBudget': { use: 'policy/v1', removedIn: '1.25' },
  'batch/v1beta1/CronJob': { use: 'batch/v1', removedIn: '1.25' },
  'batch/v2alpha1/CronJob': { use: 'batch/v1', removedIn: '1.21' },
  'autoscaling/v2beta1/HorizontalPodAutoscaler': { use: 'autoscaling/v2', removedIn: '1.25' },
  'autoscaling/v2beta2/HorizontalPodAutoscaler': { use: 'autoscaling/v2', removedIn: '1.26' },
  'discovery.k8s.io/v1beta1/EndpointSlice': { use: 'discovery.k8s.io/v1', removedIn: '1.25' },
  'events.k8s.io/v1beta1/Event': { use: 'events.k8s.io/v1', removedIn: '1.25' },
  'node.k8s.io/v1beta1/RuntimeClass': { use: 'node.k8s.io/v1', removedIn: '1.25' },
  'rbac.authorization.k8s.io/v1beta1/ClusterRole': { use: 'rbac.authorization.k8s.io/v1', removedIn: '1.22' },
  'rbac.authorization.k8s.io/v1beta1/ClusterRoleBinding': { use: 'rbac.authorization.k8s.io/v1', removedIn: '1.22' },
  'rbac.authorization.k8s.io/v1beta1/Role': { use: 'rbac.authorization.k8s.io/v1', removedIn: '1.22' },
  'rbac.authorization.k8s.io/v1beta1/RoleBinding': { use: 'rbac.authorization.k8s.io/v1', removedIn: '1.22' },
  'apiextensions.k8s.io/v1beta1/CustomResourceDefinition': { use: 'apiextensions.k8s.io/v1', removedIn: '1.22' },
  'admissionregistration.k8s.io/v1beta1/MutatingWebhookConfiguration': { use: 'admissionregistration.k8s.io/v1', removedIn: '1.22' },
  'admissionregistration.k8s.io/v1beta1/ValidatingWebhookConfiguration': { use: 'admissionregistration.k8s.io/v1', removedIn: '1.22' },
  'scheduling.k8s.io/v1beta1/PriorityClass': { use: 'scheduling.k8s.io/v1', removedIn: '1.22' },
  'storage.k8s.io/v1beta1/StorageClass': { use: 'storage.k8s.io/v1', removedIn: '1.22' },
  'storage.k8s.io/v1beta1/CSIDriver': { use: 'storage.k8s.io/v1', removedIn: '1.22' },
  'storage.k8s.io/v1beta1/CSINode': { use: 'storage.k8s.io/v1', removedIn: '1.22' },
  'storage.k8s.io/v1beta1/CSIStorageCapacity': { use: 'storage.k8s.io/v1', removedIn: '1.27' },
  'certificates.k8s.io/v1beta1/CertificateSigningRequest': { use: 'certificates.k8s.io/v1', removedIn: '1.22' },
  'coordination.k8s.io/v1beta1/Lease': { use: 'coordination.k8s.io/v1', removedIn: '1.22' },
  'apiregistration.k8s.io/v1beta1/APIService': { use: 'apiregistration.k8s.io/v1', removedIn: '1.22' },
  'authentication.k8s.io/v1beta1/TokenReview': { use: 'authentication.k8s.io/v1', removedIn: '1.22' },
  'flowcontrol.apiserver.k8s.io/v1beta1/FlowSchema': { use: 'flowcontrol.apiserver.k8s.io/v1', removedIn: '1.26' },
  'flowcontrol.apiserver.k8s.io/v1beta2/FlowSchema': { use: 'flowcontrol.apiserver.k8s.io/v1', removedIn: '1.29' },
  'flowcontrol.apiserver.k8s.io/v1beta1/PriorityLevelConfiguration': { use: 'flowcontrol.apiserver.k8s.io/v1', removedIn: '1.26' },
  'flowcontrol.apiserver.k8s.io/v1beta2/PriorityLevelConfiguration': { use: 'flowcontrol.apiserver.k8s.io/v1', removedIn: '1.29' },
};

/** Who serves an API group that is not built into Kubernetes (a CRD from an operator). */
export const CRD_OWNERS: Record<string, string> = {
  'cert-manager.io': 'cert-manager (https://cert-manager.io/docs/installation/)',
  'acme.cert-manager.io': 'cert-manager',
  'monitoring.coreos.com': 'the Prometheus Operator (ServiceMonitor, PodMonitor, PrometheusRule; kube-prometheus-stack installs it)',
  'external-secrets.io': 'the External Secrets Operator',
  'kubernetes-client.io': 'kubernetes-external-secrets (deprecated; the External Secrets Operator replaces it)',
  'bitnami.com': 'Sealed Secrets (SealedSecret)',
  'secrets-store.csi.x-k8s.io': 'the Secrets Store CSI driver',
  'flyte.lyft.com': 'Flyte itself (the FlyteWorkflow CRD: flyte-binary creates it at start-up; flyte-core renders it)',
  'sparkoperator.k8s.io': 'the Spark operator (Flyte\'s Spark plugin)',
  'kubeflow.org': 'the Kubeflow training operator (PyTorchJob, TFJob, MPIJob)',
  'ray.io': 'KubeRay (RayJob, RayCluster)',
  'kubernetes.dask.org': 'the Dask operator',
  'gateway.networking.k8s.io': 'the Gateway API CRDs (https://gateway-api.sigs.k8s.io/guides/)',
  'networking.istio.io': 'Istio',
  'security.istio.io': 'Istio',
  'projectcontour.io': 'Contour',
  'traefik.io': 'Traefik',
  'traefik.containo.us': 'Traefik (v2 CRDs)',
  'elbv2.k8s.aws': 'the AWS Load Balancer Controller',
  'autoscaling.k8s.io': 'the Vertical Pod Autoscaler',
  'keda.sh': 'KEDA',
  'policy.karmada.io': 'Karmada',
};

/** Built-in API groups (served by kube-apiserver itself): a missing version there is a Kubernetes version problem, not a missing CRD. */
export const BUILTIN_GROUPS = new Set(['', 'apps', 'batch', 'autoscaling', 'policy', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'apiextensions.k8s.io', 'admissionregistration.k8s.io',
  'scheduling.k8s.io', 'storage.k8s.io', 'certificates.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'events.k8s.io', 'node.k8s.io', 'apiregistration.k8s.io',
  'authentication.k8s.io', 'authorization.k8s.io', 'flowcontrol.apiserver.k8s.io', 'extensions', 'resource.k8s.io', 'internal.apiserver.k8s.io', 'storagemigration.k8s.io']);

/** Secrets Flyte creates at start-up (init containers, the webhook): missing before the first start is expected. */
export function runtimeCreatedSecret(name: string): boolean {
  return name === 'flyte-admin-secrets' || name === 'flyte-pod-webhook' || /-admin-auth$/.test(name) || /-webhook-secret$/.test(name);
}

/** Group and version of an apiVersion (`v1` -> core). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

// ---------------------------------------------------------------------------------------------
// From Helm values

// A name is kept as written: helm renders it as is, and the API server refuses an object name with
// whitespace around it; trimmed here, a lookup of `nginx\n` found `nginx` and passed.
const str = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v.trim() ? v : undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
};
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : typeof v === 'string' && /^(true|false)$/i.test(v.trim()) ? v.trim().toLowerCase() === 'true' : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const dict = (v: unknown): Dict => (isDict(v) ? v : {});

/** Reads values leniently (a wrong shape reads as unset: the loader and values.inputs.keys report shapes). */
class Values {
  constructor(readonly r: Reader) {}
  /** Absolute path of a key (with the umbrella prefix). */
  abs(k: string | Path): Path { return this.r.abs(k); }
  raw(k: string | Path): unknown { return this.r.mv.rawAt(this.abs(k)); }
  rawAbs(p: Path): unknown { return this.r.mv.rawAt(p); }
  str(k: string | Path): string | undefined { return str(this.raw(k)); }
  bool(k: string | Path): boolean | undefined { return bool(this.raw(k)); }
  /** The key as the user writes it (umbrella prefix included). */
  key(k: string | Path): string { return formatPath(this.abs(k)); }
  prov(k: string | Path): string { return this.r.prov(k); }
  provAbs(p: Path): string { const o = this.r.mv.originOf(p); return o === CHART_DEFAULT ? CHART_DEFAULT : `${o}: ${formatPath(p)}`; }
  has(k: string | Path): boolean { const v = this.raw(k); return v !== undefined && v !== null && v !== ''; }
}

/** References collected with one entry per object (keys, purposes and sources merged). */
class Refs {
  readonly out: ObjectReference[] = [];
  add(ref: ObjectReference): void {
    const same = this.out.find((x) => x.kind === ref.kind && x.name === ref.name && (x.namespace ?? '') === (ref.namespace ?? '') && !!x.api === !!ref.api && !!x.useDefault === !!ref.useDefault
      && !x.problem && !ref.problem && (x.bundled?.dependency ?? '') === (ref.bundled?.dependency ?? ''));
    if (!same) { this.out.push(ref); return; }
    if (ref.keys?.length) same.keys = [...new Set([...(same.keys ?? []), ...ref.keys])];
    if (!same.purpose.includes(ref.purpose)) same.purpose = `${same.purpose}; ${ref.purpose}`;
    if (same.source !== ref.source && !same.source.split('; ').includes(ref.source)) same.source = `${same.source}; ${ref.source}`;
    // Required by one use is required.
    if (same.optional && !ref.optional) delete same.optional;
    if (same.createdByChart && !ref.createdByChart) { delete same.createdByChart; delete same.manifestKeys; delete same.manifestKind; }
    if (same.issuedBy && !ref.issuedBy) delete same.issuedBy;
    if (ref.ingressAnnotations) same.ingressAnnotations = [...new Set([...(same.ingressAnnotations ?? []), ...ref.ingressAnnotations])];
    if (ref.count) same.count = (same.count ?? 0) + ref.count;
  }
}

/** Secret/ConfigMap sources of one pod volume: `secret`, `configMap`, `projected.sources[]`. */
function volumeRefs(v: Values, refs: Refs, key: Path, namespace: string, purpose: string): void {
  const vols = list(v.raw(key));
  vols.forEach((vol, i) => {
    if (!isDict(vol)) return;
    const vk: Path = [...key, i];
    const name = str(vol['name']) ?? `#${i}`;
    const one = (src: unknown, path: Path, kind: 'Secret' | 'ConfigMap') => {
      if (!isDict(src)) return;
      const nameField = kind === 'Secret' && 'secretName' in src ? 'secretName' : 'name';
      const n = str(src[nameField]);
      if (!n) return;
      const keys = list(src['items']).filter(isDict).map((it) => str(it['key'])).filter((x): x is string => !!x);
      refs.add({ kind, name: n, namespace, ...(keys.length ? { keys } : {}), ...(bool(src['optional']) ? { optional: true } : {}),
        source: v.prov([...path, nameField]), key: v.key([...path, nameField]), purpose: `${purpose} (volume ${name})` });
    };
    one(vol['secret'], [...vk, 'secret'], 'Secret');
    one(vol['configMap'], [...vk, 'configMap'], 'ConfigMap');
    const proj = dict(vol['projected']);
    list(proj['sources']).forEach((s, j) => {
      if (!isDict(s)) return;
      one(s['secret'], [...vk, 'projected', 'sources', j, 'secret'], 'Secret');
      one(s['configMap'], [...vk, 'projected', 'sources', j, 'configMap'], 'ConfigMap');
    });
  });
}

/** `env[].valueFrom.secretKeyRef/configMapKeyRef` of a container env list. */
function envRefs(v: Values, refs: Refs, key: Path, namespace: string, purpose: string): void {
  list(v.raw(key)).forEach((e, i) => {
    if (!isDict(e)) return;
    const vf = dict(e['valueFrom']);
    for (const [field, kind] of [['secretKeyRef', 'Secret'], ['configMapKeyRef', 'ConfigMap']] as const) {
      const ref = vf[field];
      if (!isDict(ref)) continue;
      const n = str(ref['name']);
      if (!n) continue;
      const k = str(ref['key']);
      const p: Path = [...key, i, 'valueFrom', field, 'name'];
      refs.add({ kind, name: n, namespace, ...(k ? { keys: [k] } : {}), ...(bool(ref['optional']) ? { optional: true } : {}),
        source: v.prov(p), key: v.key(p), purpose: `${purpose} (env ${str(e['name']) ?? `#${i}`})` });
    }
  });
}

/** `envFrom[].secretRef/configMapRef` of a container. */
function envFromRefs(v: Values, refs: Refs, key: Path, namespace: string, purpose: string): void {
  list(v.raw(key)).forEach((e, i) => {
    if (!isDict(e)) return;
    for (const [field, kind] of [['secretRef', 'Secret'], ['configMapRef', 'ConfigMap']] as const) {
      const ref = e[field];
      if (!isDict(ref)) continue;
      const n = str(ref['name']);
      if (!n) continue;
      const p: Path = [...key, i, field, 'name'];
      refs.add({ kind, name: n, namespace, ...(bool(ref['optional']) ? { optional: true } : {}), source: v.prov(p), key: v.key(p), purpose: `${purpose} (envFrom)` });
    }
  });
}

/** imagePullSecrets: a list of `{name}` (or plain names, which helm renders as is). */
function pullSecretRefs(v: Values, refs: Refs, key: string, namespace: string, purpose: string): void {
  list(v.raw(key)).forEach((e, i) => {
    const n = isDict(e) ? str(e['name']) : str(e);
    if (!n) return;
    const p: Path = isDict(e) ? [...key.split('.'), i, 'name'] : [...key.split('.'), i];
    refs.add({ kind: 'Secret', name: n, namespace, anyKeys: PULL_SECRET_KEYS, secretTypes: PULL_SECRET_TYPES, source: v.prov(p), key: v.key(p), purpose });
  });
}

interface IngressSpec {
  /** Ingress object name, for messages. */
  name: string;
  annotations: { values: Record<string, string>; keyOf: (annotation: string) => Path; telling: string[] };
  className?: { name: string; key: Path };
  tls: TlsEntry[];
}

/** One `tls` entry of an Ingress: its Secret, hosts, and the values key that names the Secret. */
interface TlsEntry { secretName: string; hosts: string[]; key: string; source: string }

/** The tls entries of a values list (`ingress.tls`, `ingress.httpTls`...). */
function tlsList(v: Values, key: string): TlsEntry[] {
  const out: TlsEntry[] = [];
  list(v.raw(key)).forEach((e, i) => {
    if (!isDict(e)) return;
    const n = str(e['secretName']);
    if (!n) return;
    const p: Path = [...key.split('.'), i, 'secretName'];
    out.push({ secretName: n, hosts: list(e['hosts']).map(str).filter((h): h is string => !!h), key: v.key(p), source: v.prov(p) });
  });
  return out;
}

/** References of one Ingress the chart renders: its class, its TLS Secrets, cert-manager's issuer. */
function ingressRefs(v: Values, refs: Refs, ing: IngressSpec, namespace: string): void {
  const ann = ing.annotations.values;
  const annKeys = ing.annotations.telling;
  // cert-manager's ingress-shim (https://cert-manager.io/docs/usage/ingress/): cluster-issuer wins over issuer.
  const clusterIssuer = str(ann['cert-manager.io/cluster-issuer']);
  const issuer = str(ann['cert-manager.io/issuer']);
  const acme = str(ann['kubernetes.io/tls-acme']) === 'true';
  const group = str(ann['cert-manager.io/issuer-group']);
  const issuerKind = str(ann['cert-manager.io/issuer-kind']);
  let issuedBy: ObjectReference['issuedBy'];
  if (clusterIssuer || issuer) {
    const a = clusterIssuer ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer';
    const name = (clusterIssuer ?? issuer)!;
    const external = group && group !== CERT_MANAGER_GROUP;
    const kind: 'ClusterIssuer' | 'Issuer' = clusterIssuer ? 'ClusterIssuer' : (issuerKind === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer');
    issuedBy = { kind, name, ...(group ? { group } : {}) };
    refs.add({
      kind: external ? (issuerKind ?? 'Issuer') : kind, apiVersion: external ? group : `${CERT_MANAGER_GROUP}/v1`, name,
      ...(kind === 'Issuer' || (external && !clusterIssuer) ? { namespace } : {}),
      annotation: a, source: v.prov(ing.annotations.keyOf(a)), key: v.key(ing.annotations.keyOf(a)),
      purpose: `issues the TLS certificate of Ingress ${ing.name}`,
    });
  } else if (acme) {
    issuedBy = { kind: 'default' };
    refs.add({ kind: 'ClusterIssuer', apiVersion: `${CERT_MANAGER_GROUP}/v1`, name: '', useDefault: true, annotation: 'kubernetes.io/tls-acme',
      source: v.prov(ing.annotations.keyOf('kubernetes.io/tls-acme')), key: v.key(ing.annotations.keyOf('kubernetes.io/tls-acme')),
      purpose: `issues the TLS certificate of Ingress ${ing.name} (cert-manager's default issuer, set by its --default-issuer-name)` });
  }
  for (const t of ing.tls) {
    // ingress-shim only issues for tls entries with hosts.
    const byCm = issuedBy && t.hosts.length ? { issuedBy } : {};
    refs.add({ kind: 'Secret', name: t.secretName, namespace, keys: TLS_KEYS, ...byCm, source: t.source, key: t.key,
      purpose: `TLS certificate of Ingress ${ing.name}${t.hosts.length ? ` (${t.hosts.join(', ')})` : ''}` });
  }
  if (ing.className) {
    refs.add({ kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', name: ing.className.name, source: v.prov(ing.className.key), key: v.key(ing.className.key),
      purpose: `class of Ingress ${ing.name}`, ingressAnnotations: annKeys });
  } else if (str(ann['kubernetes.io/ingress.class'])) {
    const a = 'kubernetes.io/ingress.class';
    refs.add({ kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', name: str(ann[a])!, annotation: a, source: v.prov(ing.annotations.keyOf(a)), key: v.key(ing.annotations.keyOf(a)),
      purpose: `class of Ingress ${ing.name} (deprecated annotation)`, ingressAnnotations: annKeys });
  } else {
    refs.add({ kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', name: '', useDefault: true, source: CHART_DEFAULT, purpose: `class of Ingress ${ing.name} (none named)`, ingressAnnotations: annKeys });
  }
}

/** Annotation map and, per annotation, the values key it comes from (later maps win, like the templates' merge). */
function annotationsOf(v: Values, keys: string[]): IngressSpec['annotations'] {
  const values: Record<string, string> = {};
  const from: Record<string, Path> = {};
  for (const k of keys) {
    for (const [a, x] of Object.entries(dict(v.raw(k)))) {
      const s = str(x);
      if (s === undefined) continue;
      values[a] = s;
      from[a] = [...k.split('.'), a];
    }
  }
  // Which annotations say something about the controller: the user's own, and the chart's defaults that
  // carry the gRPC protocol (flyte-core's nginx app-root / service-upstream defaults are no choice of the user's).
  const telling = Object.keys(values).filter((a) => GRPC_ANNOTATION.test(a) || v.provAbs(v.abs(from[a]!)) !== CHART_DEFAULT).sort();
  return { values, keyOf: (a) => from[a] ?? keys[0]!.split('.'), telling };
}

/** An annotation that sets the backend protocol (gRPC) for some controller. */
export const GRPC_ANNOTATION = /backend-protocol|grpc|serversscheme|server-proto|upstream-protocol|konghq\.com\/protocols/i;

function binaryRefs(v: Values, refs: Refs, ns: string): void {
  const external = v.has('configuration.externalConfigMap') || v.has('configuration.externalSecretRef');
  const conf = (k: string, kind: 'Secret' | 'ConfigMap', purpose: string) => {
    const n = v.str(k);
    if (n) refs.add({ kind, name: n, namespace: ns, source: v.prov(k), key: v.key(k), purpose });
  };
  if (external) {
    conf('configuration.externalConfigMap', 'ConfigMap', 'the whole Flyte configuration (replaces the chart\'s, mounted at /etc/flyte/config.d)');
    conf('configuration.externalSecretRef', 'Secret', 'the Flyte configuration\'s secret part (replaces the chart\'s, mounted at /etc/flyte/config.d)');
  } else {
    conf('configuration.inlineConfigMap', 'ConfigMap', 'extra Flyte config files (mounted at /etc/flyte/config.d)');
    conf('configuration.inlineSecretRef', 'Secret', 'extra Flyte config files with secrets (mounted at /etc/flyte/config.d)');
  }
  if (v.has('clusterResourceTemplates.externalConfigMap')) conf('clusterResourceTemplates.externalConfigMap', 'ConfigMap', 'the cluster resource templates');
  else conf('clusterResourceTemplates.inlineConfigMap', 'ConfigMap', 'extra cluster resource templates');
  if (v.bool('configuration.auth.enabled') === true && v.has('configuration.auth.clientSecretsExternalSecretRef')) {
    const k = 'configuration.auth.clientSecretsExternalSecretRef';
    // Flyte reads /etc/secrets/client_secret (its own client) and oidc_client_secret (userAuth.openId.clientSecretName).
    refs.add({ kind: 'Secret', name: v.str(k)!, namespace: ns, keys: v.has('configuration.auth.oidc.baseUrl') ? ['client_secret', 'oidc_client_secret'] : ['client_secret'],
      source: v.prov(k), key: v.key(k), purpose: 'the auth client secrets (mounted at /etc/secrets)' });
  }
  conf('deployment.extraEnvVarsConfigMap', 'ConfigMap', 'environment of the flyte container (envFrom)');
  conf('deployment.extraEnvVarsSecret', 'Secret', 'environment of the flyte container (envFrom)');
  envRefs(v, refs, ['deployment', 'extraEnvVars'], ns, 'environment of the flyte container');
  volumeRefs(v, refs, ['deployment', 'extraVolumes'], ns, 'a volume of the flyte-binary pod');
  if (v.bool('serviceAccount.create') !== false) pullSecretRefs(v, refs, 'serviceAccount.imagePullSecrets', ns, 'image pulls of the flyte-binary pod (its ServiceAccount)');

  // Ingress (only when the chart creates it)
  if (v.bool('ingress.create') === true) {
    const separate = v.bool('ingress.separateGrpcIngress') !== false;
    const cls = (k: string) => (v.str(k) ? { name: v.str(k)!, key: k.split('.') } : undefined);
    const fn = v.str('fullnameOverride') ?? 'flyte-backend-flyte-binary';
    const tlsOf = (own: string) => (list(v.raw(own)).length ? tlsList(v, own) : tlsList(v, 'ingress.tls'));
    const httpCls = cls('ingress.httpIngressClassName') ?? cls('ingress.ingressClassName');
    ingressRefs(v, refs, { name: `${fn}-http`, annotations: annotationsOf(v, ['commonAnnotations', 'ingress.commonAnnotations', 'ingress.httpAnnotations']),
      ...(httpCls ? { className: httpCls } : {}), tls: tlsOf('ingress.httpTls') }, ns);
    if (separate) {
      const grpcCls = cls('ingress.grpcIngressClassName') ?? cls('ingress.ingressClassName');
      ingressRefs(v, refs, { name: `${fn}-grpc`, annotations: annotationsOf(v, ['commonAnnotations', 'ingress.commonAnnotations', 'ingress.grpcAnnotations']),
        ...(grpcCls ? { className: grpcCls } : {}), tls: tlsOf('ingress.grpcTls') }, ns);
    }
  }
  const type = v.str('service.type');
  if (type && type !== 'ClusterIP') {
    refs.add({ kind: 'Service', name: `${v.str('fullnameOverride') ?? 'flyte-backend-flyte-binary'}-http`, namespace: ns, serviceType: type, source: v.prov('service.type'), key: v.key('service.type'), purpose: 'exposes flyteadmin (HTTP and gRPC)' });
  }
}

/** flyte-core components whose pods the values deploy, with their values key. */
function coreComponents(v: Values): string[] {
  const on = (k: string) => v.bool(`${k}.enabled`) !== false;
  const out = ['flyteadmin', 'datacatalog', 'flytepropeller', 'flyteconsole'].filter(on);
  if (on('flytepropeller') && v.bool('webhook.enabled') !== false) out.push('webhook');
  if (v.bool('workflow_scheduler.enabled') === true && v.str('workflow_scheduler.type') === 'native') out.push('flytescheduler');
  return out;
}

function coreRefs(v: Values, refs: Refs, ns: string): void {
  const comps = coreComponents(v);
  // The database password Secret, mounted at /etc/db by every component that uses the database.
  const dbName = v.str('common.databaseSecret.name');
  const manifest = dict(v.raw('common.databaseSecret.secretManifest'));
  const dbKeys: string[] = [];
  const pathKeys: { key: string; path: string }[] = [];
  for (const [comp, k] of [['flyteadmin', 'db.admin.database.passwordPath'], ['datacatalog', 'db.datacatalog.database.passwordPath']] as const) {
    if (!comps.includes(comp)) continue;
    const p = v.str(k);
    if (p?.startsWith('/etc/db/')) { dbKeys.push(p.slice('/etc/db/'.length)); pathKeys.push({ key: k, path: p }); }
  }
  if (dbName) {
    const kindOf = str(manifest['kind']);
    const mKeys = [...Object.keys(dict(manifest['data'])), ...Object.keys(dict(manifest['stringData']))];
    const fromManifest = Object.keys(manifest).length > 0;
    refs.add({
      kind: 'Secret', name: dbName, namespace: ns, ...(dbKeys.length ? { keys: [...new Set(dbKeys)] } : {}),
      ...(fromManifest ? { createdByChart: true, ...(kindOf && kindOf !== 'Secret' ? { manifestKind: `${str(manifest['apiVersion']) ?? '?'} ${kindOf}` } : { manifestKeys: mKeys.sort() }) } : {}),
      source: v.prov('common.databaseSecret.name'), key: v.key('common.databaseSecret.name'),
      purpose: `the database password${pathKeys.length ? ` (${pathKeys.map((x) => `${x.key}: ${x.path}`).join(', ')})` : ''}, mounted at /etc/db`,
    });
    if (fromManifest && kindOf && kindOf !== 'Secret' && str(manifest['apiVersion'])) {
      refs.add({ kind: kindOf, apiVersion: str(manifest['apiVersion'])!, name: str(dict(manifest['metadata'])['name']) ?? dbName, api: true, count: 1,
        source: v.prov('common.databaseSecret.secretManifest'), key: v.key('common.databaseSecret.secretManifest'), purpose: 'creates the database password Secret (common.databaseSecret.secretManifest)' });
    }
  } else if (pathKeys.length) {
    refs.add({ kind: 'Secret', name: '', namespace: ns, keys: dbKeys, source: v.prov(pathKeys[0]!.key), key: v.key('common.databaseSecret.name'),
      purpose: `the database password (${pathKeys.map((x) => `${x.key}: ${x.path}`).join(', ')})`,
      problem: `${pathKeys.map((x) => `${v.key(x.key)} reads ${x.path}`).join(' and ')}, but ${v.key('common.databaseSecret.name')} is empty: the chart mounts nothing at /etc/db, so Flyte cannot read the password file` });
  }
  // The propeller / scheduler client secret.
  const sc = 'secrets.adminOauthClientCredentials';
  if (v.bool(`${sc}.enabled`) !== false && (comps.includes('flytepropeller') || comps.includes('flytescheduler'))) {
    const name = v.str(`${sc}.secretName`) ?? 'flyte-secret-auth';
    const created = v.has(`${sc}.clientSecret`);
    refs.add({ kind: 'Secret', name, namespace: ns, keys: ['client_secret'], ...(created ? { createdByChart: true, manifestKeys: ['client_secret'] } : {}),
      source: created ? v.prov(`${sc}.clientSecret`) : v.prov(`${sc}.enabled`), key: v.key(`${sc}.secretName`),
      purpose: `the client secret flytepropeller uses to call flyteadmin (mounted at /etc/secrets${created ? `; the chart creates it from ${v.key(`${sc}.clientSecret`)}` : `; ${v.key(`${sc}.clientSecret`)} is empty, so the chart does not create it`})` });
  }
  const st = v.str('storage.secretName');
  if (st) refs.add({ kind: 'Secret', name: st, namespace: ns, source: v.prov('storage.secretName'), key: v.key('storage.secretName'), purpose: 'the storage configuration (instead of the rendered storage config)' });
  // Per component: pull secrets, extra volumes, env.
  for (const c of comps) {
    const label = c === 'webhook' ? 'flyte-pod-webhook' : c;
    if (c === 'flyteconsole') pullSecretRefs(v, refs, 'flyteconsole.imagePullSecrets', ns, 'image pulls of flyteconsole');
    else if (v.bool(`${c}.serviceAccount.create`) !== false) pullSecretRefs(v, refs, `${c}.serviceAccount.imagePullSecrets`, ns, `image pulls of ${label} (its ServiceAccount)`);
    volumeRefs(v, refs, [c, 'additionalVolumes'], ns, `a volume of ${label}`);
    if (c === 'flyteadmin') {
      envRefs(v, refs, ['flyteadmin', 'env'], ns, 'environment of flyteadmin');
      envFromRefs(v, refs, ['flyteadmin', 'envFrom'], ns, 'environment of flyteadmin');
    }
  }
  // Ingress
  if (v.bool('common.ingress.enabled') !== false) {
    const host = v.str('common.ingress.host');
    const secretName = v.str('common.ingress.tls.secretName');
    // The template's default secretName is `<release>-flyte-tls`: the release is not in the values, the checks render it from the target's.
    const tls: TlsEntry[] = v.bool('common.ingress.tls.enabled') === true ? [{
      secretName: secretName ?? '{{ .Release.Name }}-flyte-tls', hosts: host ? [host] : [], key: v.key('common.ingress.tls.secretName'),
      source: secretName ? v.prov('common.ingress.tls.secretName') : `${v.prov('common.ingress.tls.enabled')} (chart default secretName <release>-flyte-tls)`,
    }] : [];
    const clsName = v.str('common.ingress.ingressClassName');
    const className = clsName ? { className: { name: clsName, key: ['common', 'ingress', 'ingressClassName'] as Path } } : {};
    const name = v.str('nameOverride') ?? 'flyte-core';
    ingressRefs(v, refs, { name, annotations: annotationsOf(v, ['common.ingress.annotations']), ...className, tls }, ns);
    if (v.bool('common.ingress.separateGrpcIngress') === true) {
      ingressRefs(v, refs, { name: `${name}-grpc`, annotations: annotationsOf(v, ['common.ingress.annotations', 'common.ingress.separateGrpcIngressAnnotations']), ...className, tls }, ns);
    }
  }
  const type = v.str('flyteadmin.service.type');
  if (comps.includes('flyteadmin') && type && type !== 'ClusterIP') {
    refs.add({ kind: 'Service', name: 'flyteadmin', namespace: ns, serviceType: type, source: v.prov('flyteadmin.service.type'), key: v.key('flyteadmin.service.type'), purpose: 'exposes flyteadmin (HTTP and gRPC)' });
  }
}

/** Umbrella charts: what their bundled PostgreSQL / MinIO (and registry) keep their data on. */
function umbrellaRefs(v: Values, refs: Refs, ns: string, umbrella: string): void {
  const at = (...p: string[]) => v.rawAbs(p);
  const prov = (...p: string[]) => v.provAbs(p);
  if (umbrella === 'flyte') {
    // charts/flyte: postgres and minio Deployments and the redis StatefulSet mount emptyDir volumes.
    for (const [dep, key, def] of [['PostgreSQL', 'postgres', true], ['MinIO', 'minio', true], ['Redis', 'redis', false]] as const) {
      const on = bool(at(key, 'enabled')) ?? def;
      if (!on) continue;
      refs.add({ kind: 'StorageClass', name: '', bundled: { dependency: dep, volume: 'emptyDir' }, source: at(key, 'enabled') === undefined ? `${CHART_DEFAULT} (flyte chart: ${key}.enabled)` : prov(key, 'enabled'), key: `${key}.enabled`,
        purpose: `${dep} bundled by the flyte chart keeps its data in an emptyDir volume (lost when its pod restarts): no PersistentVolumeClaim` });
    }
    return;
  }
  if (umbrella !== 'flyte-sandbox') return;
  // charts/flyte-sandbox: bitnami postgresql and minio on the chart's own hostPath PersistentVolumes (existingClaim), a docker registry without persistence.
  const deps: { dep: string; key: string; pers: string[]; enabledDefault: boolean; persistenceDefault: boolean; claimDefault: boolean }[] = [
    { dep: 'PostgreSQL', key: 'postgresql', pers: ['postgresql', 'primary', 'persistence'], enabledDefault: true, persistenceDefault: true, claimDefault: true },
    { dep: 'MinIO', key: 'minio', pers: ['minio', 'persistence'], enabledDefault: true, persistenceDefault: true, claimDefault: true },
    { dep: 'the docker registry', key: 'docker-registry', pers: ['docker-registry', 'persistence'], enabledDefault: true, persistenceDefault: false, claimDefault: false },
  ];
  for (const d of deps) {
    const enabled = bool(at(d.key, 'enabled')) ?? d.enabledDefault;
    if (!enabled) continue;
    const persRaw = v.rawAbs([...d.pers, 'enabled']);
    const persistent = bool(persRaw) ?? d.persistenceDefault;
    const persKey = formatPath([...d.pers, 'enabled']);
    const srcOf = (p: string[], def: string) => (v.rawAbs(p) === undefined ? `${CHART_DEFAULT} (flyte-sandbox chart: ${def})` : v.provAbs(p));
    if (!persistent) {
      refs.add({ kind: 'StorageClass', name: '', bundled: { dependency: d.dep, volume: 'emptyDir' }, source: srcOf([...d.pers, 'enabled'], `${persKey}: false`), key: persKey,
        purpose: `${d.dep} keeps its data in an emptyDir volume (persistence off): no PersistentVolumeClaim` });
      continue;
    }
    const claimPath = [...d.pers, 'existingClaim'];
    const claimRaw = v.rawAbs(claimPath);
    const claim = claimRaw === undefined ? (d.claimDefault ? '{{ include "flyte-sandbox.persistence" }}' : undefined) : str(claimRaw);
    if (claim && /flyte-sandbox\.persistence/.test(claim)) {
      refs.add({ kind: 'StorageClass', name: 'manual', bundled: { dependency: d.dep, volume: 'chart' }, source: srcOf(claimPath, `${formatPath(claimPath)}: the chart's own claim`), key: formatPath(claimPath),
        purpose: `${d.dep} uses the PersistentVolume the flyte-sandbox chart creates (hostPath on the node, class manual): no provisioner needed` });
      continue;
    }
    if (claim) {
      refs.add({ kind: 'PersistentVolumeClaim', name: claim, namespace: ns, bundled: { dependency: d.dep, volume: 'claim' }, source: v.provAbs(claimPath), key: formatPath(claimPath),
        purpose: `the volume of ${d.dep} (existing claim)` });
      continue;
    }
    // Dynamic provisioning: the subchart's storageClass, else global.storageClass / global.defaultStorageClass.
    const candidates: string[][] = [[...d.pers, 'storageClass'], ['global', 'storageClass'], ['global', 'defaultStorageClass'], [d.key, 'global', 'storageClass'], [d.key, 'global', 'defaultStorageClass']];
    const found = candidates.find((p) => str(v.rawAbs(p)) !== undefined);
    const sc = found ? str(v.rawAbs(found))! : undefined;
    const scKey = formatPath(found ?? [...d.pers, 'storageClass']);
    if (sc === '-') {
      // bitnami: "-" renders storageClassName: "" (no dynamic provisioning).
      refs.add({ kind: 'StorageClass', name: '', bundled: { dependency: d.dep, volume: 'dynamic' }, source: v.provAbs(found!), key: scKey,
        purpose: `the volume of ${d.dep} (storageClass "-": no dynamic provisioning, a PersistentVolume must be created by hand)`, problem: 'no-provisioning' });
    } else if (sc) {
      refs.add({ kind: 'StorageClass', name: sc, bundled: { dependency: d.dep, volume: 'dynamic' }, source: v.provAbs(found!), key: scKey, purpose: `the volume of ${d.dep} (dynamically provisioned)` });
    } else {
      refs.add({ kind: 'StorageClass', name: '', useDefault: true, bundled: { dependency: d.dep, volume: 'dynamic' }, source: srcOf([...d.pers, 'enabled'], `${persKey}: true`), key: scKey,
        purpose: `the volume of ${d.dep} (dynamically provisioned with the cluster's default StorageClass: ${formatPath(claimPath)} and ${scKey} are unset)` });
    }
  }
  // The sandbox's envoy proxy exposes flyteadmin on NodePort 30080.
  if (bool(v.rawAbs(['sandbox', 'proxy', 'enabled'])) ?? true) {
    refs.add({ kind: 'Service', name: 'flyte-sandbox-proxy', namespace: ns, serviceType: 'NodePort', source: v.rawAbs(['sandbox', 'proxy', 'enabled']) === undefined ? `${CHART_DEFAULT} (flyte-sandbox chart: sandbox.proxy.enabled)` : v.provAbs(['sandbox', 'proxy', 'enabled']),
      key: 'sandbox.proxy.enabled', purpose: 'exposes flyteadmin and the console (NodePort 30080)' });
  }
}

/** What the values of `chart` reference (names and keys only, never secret values). */
export function referencesFromValues(chart: Chart, r: Reader, namespace: string): ObjectReference[] {
  const v = new Values(r);
  const refs = new Refs();
  if (chart === 'flyte-binary') binaryRefs(v, refs, namespace);
  else coreRefs(v, refs, namespace);
  const umbrella = r.mv.prefix.length ? (r.mv.prefix[0] === 'flyte' ? 'flyte' : 'flyte-sandbox') : undefined;
  if (umbrella) umbrellaRefs(v, refs, namespace, umbrella);
  return refs.out;
}

// ---------------------------------------------------------------------------------------------
// From rendered manifests

/** What rendered manifests reference (volumes, imagePullSecrets, Ingress TLS and class, envFrom, API kinds). */
export function referencesFromManifests(set: ManifestSet, namespace: string): ObjectReference[] {
  const refs = new Refs();
  const inRender = (kind: string, ns: string | undefined, name: string) => set.objects.some((o) => o.kind === kind && o.name === name && (o.namespace ?? namespace) === (ns ?? namespace));
  const external = (kind: 'Secret' | 'ConfigMap', ns: string, name: string) => !inRender(kind, ns, name);
  for (const d of set.deployments) {
    const ns = d.namespace ?? namespace;
    const where = `Deployment ${ns}/${d.name} (${d.source})`;
    const seen = new Set<string>();
    for (const m of d.mounts) {
      if (seen.has(m.volume)) continue;
      seen.add(m.volume);
      for (const s of m.sources) {
        if (!external(s.kind, ns, s.name)) continue;
        const runtime = s.kind === 'Secret' && runtimeCreatedSecret(s.name);
        const keys = (s.items ?? []).map((i) => i.key);
        refs.add({ kind: s.kind, name: s.name, namespace: ns, ...(keys.length ? { keys } : {}), ...(s.optional ? { optional: true } : {}), ...(runtime ? { createdByChart: true } : {}),
          source: `${where}: volume ${m.volume}`, purpose: `${runtime ? 'created by Flyte at start-up; ' : ''}mounted at ${m.mountPath} in ${d.name}` });
      }
    }
    for (const e of d.envFrom) {
      if (external(e.kind, ns, e.name)) refs.add({ kind: e.kind, name: e.name, namespace: ns, ...(e.optional ? { optional: true } : {}), source: `${where}: envFrom`, purpose: `environment of ${d.name}${e.container ? `/${e.container}` : ''} (envFrom)` });
    }
    for (const e of d.envRefs) {
      if (external(e.kind, ns, e.name)) refs.add({ kind: e.kind, name: e.name, namespace: ns, ...(e.key ? { keys: [e.key] } : {}), ...(e.optional ? { optional: true } : {}), source: `${where}: env${e.env ? ` ${e.env}` : ''}`, purpose: `environment of ${d.name}${e.container ? `/${e.container}` : ''}` });
    }
    for (const p of d.imagePullSecrets) {
      if (external('Secret', ns, p)) refs.add({ kind: 'Secret', name: p, namespace: ns, anyKeys: PULL_SECRET_KEYS, secretTypes: PULL_SECRET_TYPES, source: `${where}: imagePullSecrets`, purpose: `image pulls of ${d.name}` });
    }
  }
  for (const sa of set.serviceAccounts) {
    const ns = sa.namespace ?? namespace;
    for (const p of sa.imagePullSecrets) {
      if (external('Secret', ns, p)) refs.add({ kind: 'Secret', name: p, namespace: ns, anyKeys: PULL_SECRET_KEYS, secretTypes: PULL_SECRET_TYPES, source: `ServiceAccount ${ns}/${sa.name} (${sa.source}): imagePullSecrets`, purpose: `image pulls of the pods of ServiceAccount ${sa.name}` });
    }
  }
  for (const ing of set.ingresses) {
    const ns = ing.namespace ?? namespace;
    const where = `Ingress ${ns}/${ing.name} (${ing.source})`;
    const ann = ing.annotations;
    const annKeys = Object.keys(ann).sort();
    const clusterIssuer = str(ann['cert-manager.io/cluster-issuer']);
    const issuer = str(ann['cert-manager.io/issuer']);
    const group = str(ann['cert-manager.io/issuer-group']);
    let issuedBy: ObjectReference['issuedBy'];
    if (clusterIssuer || issuer) {
      const a = clusterIssuer ? 'cert-manager.io/cluster-issuer' : 'cert-manager.io/issuer';
      const kind: 'ClusterIssuer' | 'Issuer' = clusterIssuer || str(ann['cert-manager.io/issuer-kind']) === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer';
      const external = group && group !== CERT_MANAGER_GROUP;
      issuedBy = { kind, name: (clusterIssuer ?? issuer)!, ...(group ? { group } : {}) };
      refs.add({ kind: external ? (str(ann['cert-manager.io/issuer-kind']) ?? 'Issuer') : kind, apiVersion: external ? group : `${CERT_MANAGER_GROUP}/v1`, name: issuedBy.name!, ...(kind === 'Issuer' ? { namespace: ns } : {}),
        annotation: a, source: `${where}: metadata.annotations.${a}`, purpose: `issues the TLS certificate of Ingress ${ing.name}` });
    } else if (str(ann['kubernetes.io/tls-acme']) === 'true') {
      issuedBy = { kind: 'default' };
      refs.add({ kind: 'ClusterIssuer', apiVersion: `${CERT_MANAGER_GROUP}/v1`, name: '', useDefault: true, annotation: 'kubernetes.io/tls-acme', source: `${where}: metadata.annotations.kubernetes.io/tls-acme`,
        purpose: `issues the TLS certificate of Ingress ${ing.name} (cert-manager's default issuer)` });
    }
    for (const t of ing.tls) {
      if (!t.secretName || inRender('Secret', ns, t.secretName)) continue;
      refs.add({ kind: 'Secret', name: t.secretName, namespace: ns, keys: TLS_KEYS, ...(issuedBy && t.hosts.length ? { issuedBy } : {}), source: `${where}: spec.tls`,
        purpose: `TLS certificate of Ingress ${ing.name}${t.hosts.length ? ` (${t.hosts.join(', ')})` : ''}` });
    }
    if (ing.className && !inRender('IngressClass', undefined, ing.className)) {
      const viaAnnotation = ing.classSource?.startsWith('metadata.annotations');
      refs.add({ kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', name: ing.className, ...(viaAnnotation ? { annotation: 'kubernetes.io/ingress.class' } : {}), source: `${where}: ${ing.classSource ?? 'spec.ingressClassName'}`,
        purpose: `class of Ingress ${ing.name}`, ingressAnnotations: annKeys });
    } else if (!ing.className) {
      refs.add({ kind: 'IngressClass', apiVersion: 'networking.k8s.io/v1', name: '', useDefault: true, source: where, purpose: `class of Ingress ${ing.name} (none named)`, ingressAnnotations: annKeys });
    }
  }
  // Every (apiVersion, kind) of the render.
  for (const o of set.objects) {
    refs.add({ kind: o.kind, apiVersion: o.apiVersion, name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}), api: true, count: 1, source: o.source, purpose: 'an object of the render' });
  }
  return mergeApi(refs.out);
}

/** One API reference per (apiVersion, kind), naming its first object and counting the rest. */
function mergeApi(refs: ObjectReference[]): ObjectReference[] {
  const out: ObjectReference[] = [];
  const byKind = new Map<string, ObjectReference>();
  for (const r of refs) {
    if (!r.api) { out.push(r); continue; }
    const k = `${r.apiVersion}/${r.kind}`;
    const first = byKind.get(k);
    // CustomResourceDefinitions stay one per object: their names say which groups the render brings.
    if (first && r.kind !== 'CustomResourceDefinition') { first.count = (first.count ?? 1) + 1; continue; }
    const copy: ObjectReference = { ...r, count: 1 };
    delete copy.namespace;
    byKind.set(k, copy);
    out.push(copy);
  }
  return out;
}
