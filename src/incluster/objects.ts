// The objects `--in-cluster` creates, as plain Kubernetes manifests (pure: no I/O). One run creates,
// all labelled `app.kubernetes.io/managed-by=flyte-doctor` and `flyte-doctor/run-id=<run id>`:
//   ConfigMap <name>-inputs   the input files that hold no secret (values, server configs, manifests, flytectl config)
//   Secret    <name>-inputs   the input files that hold a secret, the --set values, PGPASSWORD
//   ConfigMap <name>-report   empty; the pod writes its JSON report into it (gzip + base64)
//   Role      <name>-report   get/update/patch on exactly that ConfigMap (resourceNames)
//   RoleBinding <name>-report binds it to the service account the pod runs as
//   Job       <name>          one pod, no retries, a deadline, a TTL, non-root, read-only root filesystem
import type { Phase } from '../engine/types.js';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'flyte-doctor', 'app.kubernetes.io/name': 'flyte-doctor' } as const;
export const RUN_LABEL = 'flyte-doctor/run-id';
export const REPORT_KEY = 'report.json.gz.b64';
export const REPORT_ENV = 'FLYTE_DOCTOR_REPORT_CONFIGMAP';
export const INPUTS_DIR = '/inputs';
/**
 * `FLYTE_DOCTOR_IN_CLUSTER_HOST_NETWORK=true`: the Job's pod uses the node's network namespace
 * (hostNetwork, dnsPolicy ClusterFirstWithHostNet). Only for clusters whose services listen on the
 * node's loopback (the real-pod test's single-node cluster reaches the test bed's 127.0.0.1 servers
 * this way) or to tell a pod-network problem from a service problem; off by default, since a pod on
 * the host network does not see what Flyte's pods see (network policies do not apply to it).
 */
export const HOST_NETWORK_ENV = 'FLYTE_DOCTOR_IN_CLUSTER_HOST_NETWORK';
/** The image's user (deploy/Dockerfile): a numeric uid so runAsNonRoot can be verified by the kubelet. */
export const POD_UID = 65532;

/** A Kubernetes name for the run's objects: flyte-doctor-<run id, lower case> (at most 52 characters: Job names give pods a suffix). */
export function objectName(runId: string): string {
  return `flyte-doctor-${runId.toLowerCase().replace(/[^a-z0-9-]/g, '-')}`.slice(0, 52).replace(/-+$/, '');
}

export interface PodInputs {
  /** Files for the ConfigMap (no secret in them). */
  config: Record<string, string>;
  /** Files and values for the Secret. */
  secret: Record<string, string>;
  /** The pod's arguments (after the command): input flags point into /inputs/config and /inputs/secret. */
  args: string[];
  /** Env vars from the Secret: name -> key. */
  secretEnv: Record<string, string>;
  /** Local files the inputs name that were shipped too: local path -> path in the pod. */
  files?: Record<string, string>;
}

export interface ObjectRef { kind: string; apiPath: string; name: string; namespace: string }

export interface RunObjects {
  name: string;
  namespace: string;
  inputsConfigMap: Record<string, unknown>;
  inputsSecret: Record<string, unknown>;
  reportConfigMap: Record<string, unknown>;
  role: Record<string, unknown>;
  roleBinding: Record<string, unknown>;
  job: Record<string, unknown>;
}

export function runObjects(o: { runId: string; namespace: string; serviceAccount: string; image: string; command: Phase; inputs: PodInputs; deadlineSeconds: number; hostNetwork?: boolean }): RunObjects {
  const name = objectName(o.runId);
  const labels = { ...MANAGED_BY, [RUN_LABEL]: o.runId.toLowerCase() };
  const meta = (n: string) => ({ name: n, namespace: o.namespace, labels });
  const report = `${name}-report`;
  const env: Record<string, unknown>[] = [
    { name: REPORT_ENV, value: report },
    { name: 'HOME', value: '/tmp' },
    ...Object.entries(o.inputs.secretEnv).map(([n, key]) => ({ name: n, valueFrom: { secretKeyRef: { name: `${name}-inputs`, key } } })),
  ];
  return {
    name, namespace: o.namespace,
    inputsConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(`${name}-inputs`), data: o.inputs.config },
    inputsSecret: { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: meta(`${name}-inputs`), stringData: o.inputs.secret },
    reportConfigMap: { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(report), data: {} },
    role: {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(report),
      rules: [{ apiGroups: [''], resources: ['configmaps'], resourceNames: [report], verbs: ['get', 'update', 'patch'] }],
    },
    roleBinding: {
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: meta(report),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: report },
      subjects: [{ kind: 'ServiceAccount', name: o.serviceAccount, namespace: o.namespace }],
    },
    job: {
      apiVersion: 'batch/v1', kind: 'Job', metadata: meta(name),
      spec: {
        backoffLimit: 0,
        activeDeadlineSeconds: o.deadlineSeconds,
        ttlSecondsAfterFinished: 600,
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: o.serviceAccount,
            automountServiceAccountToken: true,
            ...(o.hostNetwork ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
            restartPolicy: 'Never',
            securityContext: { runAsNonRoot: true, runAsUser: POD_UID, runAsGroup: POD_UID, fsGroup: POD_UID, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [{
              name: 'flyte-doctor', image: o.image, imagePullPolicy: 'IfNotPresent',
              args: [o.command, ...o.inputs.args],
              env,
              resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              terminationMessagePolicy: 'FallbackToLogsOnError',
              volumeMounts: [
                { name: 'inputs-config', mountPath: `${INPUTS_DIR}/config`, readOnly: true },
                { name: 'inputs-secret', mountPath: `${INPUTS_DIR}/secret`, readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            }],
            volumes: [
              { name: 'inputs-config', configMap: { name: `${name}-inputs` } },
              { name: 'inputs-secret', secret: { secretName: `${name}-inputs`, defaultMode: 0o440 } },
              { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ],
          },
        },
      },
    },
  };
}

/** The objects in creation order (the Job last: everything it mounts exists first) with their API paths. */
export function creationOrder(r: RunObjects): { ref: ObjectRef; body: Record<string, unknown>; collection: string }[] {
  const ns = r.namespace;
  const core = `/api/v1/namespaces/${ns}`, rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}`, batch = `/apis/batch/v1/namespaces/${ns}`;
  const item = (kind: string, collection: string, body: Record<string, unknown>) => {
    const name = (body['metadata'] as { name: string }).name;
    return { ref: { kind, apiPath: `${collection}/${name}`, name, namespace: ns }, body, collection };
  };
  return [
    item('ConfigMap', `${core}/configmaps`, r.inputsConfigMap),
    item('Secret', `${core}/secrets`, r.inputsSecret),
    item('ConfigMap', `${core}/configmaps`, r.reportConfigMap),
    item('Role', `${rbac}/roles`, r.role),
    item('RoleBinding', `${rbac}/rolebindings`, r.roleBinding),
    item('Job', `${batch}/jobs`, r.job),
  ];
}

/** What the operator needs in the namespace (kubernetes.incluster.rbac): verb, group, resource. */
export const LAUNCHER_PERMISSIONS: readonly { verb: string; group: string; resource: string; why: string }[] = [
  ...['create', 'get', 'delete'].map((verb) => ({ verb, group: '', resource: 'configmaps', why: 'the inputs and report ConfigMaps' })),
  // A Role can only grant what its creator holds (RBAC escalation check): the operator needs these on configmaps too.
  ...['update', 'patch'].map((verb) => ({ verb, group: '', resource: 'configmaps', why: 'granting the pod update on its report ConfigMap (a Role grants only what its creator holds)' })),
  ...['create', 'delete'].map((verb) => ({ verb, group: '', resource: 'secrets', why: 'the Secret holding the secret inputs' })),
  ...['create', 'delete'].map((verb) => ({ verb, group: 'rbac.authorization.k8s.io', resource: 'roles', why: 'the Role that lets the pod write its report' })),
  ...['create', 'delete'].map((verb) => ({ verb, group: 'rbac.authorization.k8s.io', resource: 'rolebindings', why: 'binding that Role to the service account' })),
  ...['create', 'get', 'delete'].map((verb) => ({ verb, group: 'batch', resource: 'jobs', why: 'the Job that runs flyte-doctor' })),
  ...['list', 'get', 'delete'].map((verb) => ({ verb, group: '', resource: 'pods', why: 'following and removing the Job\'s pod' })),
  { verb: 'get', group: '', resource: 'serviceaccounts', why: 'checking the service account exists' },
];
