// `--in-cluster`: runs the same checks in a pod, in the Flyte namespace (or the project-domain
// namespace of --project-domain), under the service account Flyte uses, and brings its report back.
//   1. the service account must exist (else a finding naming --service-account);
//   2. creates the run's objects (src/incluster/objects.ts), each registered for deletion as soon as
//      it exists;
//   3. follows the Job's pod (bounded by --in-cluster-timeout): pending reasons (ImagePullBackOff,
//      ErrImagePull, InvalidImageName, CreateContainerConfigError, Unschedulable, ...) are findings with
//      their fix; a finished pod's report is read from its ConfigMap (gzip + base64 JSON), not from logs;
//   4. deletes everything it created, also on failure, timeout and a signal (bounded: 8 s, 5 s after a
//      signal), confirms each object is gone, and returns what is left with the kubectl command.
// Evidence in, one outcome out: main.ts makes it the result of kubernetes.incluster.pod and merges the
// pod's results (each says `in-cluster/<namespace>/<serviceaccount>`).
import { gunzipSync } from 'node:zlib';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Target } from '../config/target.js';
import { kubectl } from '../clients/kube.js';
import { cause } from '../engine/causes.js';
import type { Json, Phase, Status } from '../engine/types.js';
import type { Report } from '../../reports/schema.js';
import { ApiError, openApi, type Api } from './api.js';
import { creationOrder, HOST_NETWORK_ENV, INPUTS_DIR, objectName, REPORT_KEY, RUN_LABEL, runObjects, type ObjectRef, type PodInputs } from './objects.js';

// What the CLI needs before (or without) launching, kept in a module of its own so that a run
// without --in-cluster does not load this one (child_process, zlib, the API client) at start.
import { pendingCleanups, placement } from './placement.js';
export { DEFAULT_IMAGE_REPOSITORY, DEFAULT_IN_CLUSTER_TIMEOUT_MS, pendingInCluster, placement } from './placement.js';

export interface LaunchOptions {
  command: Phase;
  target: Target;
  /** The local inputs as given (files are shipped to the pod). */
  input: { values: string[]; set: string[]; serverConfigs?: string[]; manifests?: string; chart?: string; flytectlConfig?: string; endpoint?: string };
  only: string[];
  skip: string[];
  checkTimeoutMs: number;
  serviceAccount?: string;
  projectDomain?: string;
  image: string;
  timeoutMs: number;
  runId: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal?: AbortSignal;
  /** Poll interval (tests). */
  pollMs?: number;
  /** --wait: the pod re-runs its failing checks too, within timeoutMs (see podInputs). */
  waitMs?: number;
  /** The pod on the node's network (default: $FLYTE_DOCTOR_IN_CLUSTER_HOST_NETWORK, see objects.ts). */
  hostNetwork?: boolean;
}

export type LaunchMessageId =
  | 'ran' | 'serviceAccountMissing' | 'namespaceMissing' | 'forbidden' | 'apiFailed' | 'imagePull' | 'containerConfig'
  | 'unschedulable' | 'podFailed' | 'reportWriteDenied' | 'noReport' | 'badReport' | 'timeout' | 'interrupted' | 'kubeconfig';

export interface LaunchOutcome {
  status: Status;
  messageId: LaunchMessageId;
  message: string;
  hint?: string;
  details: Record<string, Json>;
  cause?: string;
}

export interface LaunchResult {
  outcome: LaunchOutcome;
  /** `in-cluster/<namespace>/<serviceaccount>`. */
  ranAt: string;
  /** The pod's report, when it was read. */
  report?: Report;
  /** Objects created (kind/name), for the report. */
  created: string[];
  /** Objects that could not be confirmed deleted: one line each with the command. */
  residue: string[];
  durationMs: number;
}

const pending = pendingCleanups;

/** Text of a Kubernetes-valid data key for an input file. */
const keyFor = (prefix: string, i: number, file: string) => `${prefix}-${i}-${basename(file).replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 200);

/** Does the text hold one of the run's secrets (raw or base64)? Then it goes into the Secret. */
function holdsSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some((s) => s.length >= 4 && (text.includes(s) || text.includes(Buffer.from(s).toString('base64'))));
}

/** Absolute paths in an input's text: a YAML/JSON scalar, a libpq `key=/path` option, a list item. */
const PATH_IN_TEXT = /(?<=^|[\s"'=,[(])(\/[A-Za-z0-9._@+~-]+(?:\/[A-Za-z0-9._@+~-]+)+)(?=$|[\s"',\])}])/gm;
/** Never shipped: the pod's own mounts and kernel files are the pod's, not this machine's. */
const NOT_SHIPPED = /^\/(proc|sys|dev|var\/run\/secrets|run\/secrets)\//;
export const MAX_SHIPPED_FILE = 1024 * 1024;
const VOLUME_PATH_KEY = /\b(mountPath|subPath|hostPath|path|mountpath)\s*[:=]\s*["']?$/;

/**
 * Ships the inputs: files without a secret in a ConfigMap, files with one, --set values and PGPASSWORD
 * in the Secret. Files the inputs name by absolute path that exist on this machine (a CA bundle in
 * `sslrootcert=`, flytectl's `caCertFilePath`, a client key or password file; regular files up to
 * 1 MiB of UTF-8 text) are shipped too, into the ConfigMap, or the Secret when they hold a secret or a
 * private key, and the path is rewritten in the shipped text to where the pod mounts it
 * (`/inputs/config/file-<n>-<name>` or `/inputs/secret/...`). A path that does not exist here is left
 * as is (it names a file inside the pod: a projected token, a mounted Secret).
 * With `waitMs` (--wait), the pod waits too, within the in-cluster timeout: at most the timeout less
 * a third of it (at most 60 s kept for the pod to start and report).
 */
export function podInputs(o: Pick<LaunchOptions, 'input' | 'target' | 'only' | 'skip' | 'checkTimeoutMs' | 'env' | 'cwd'> & { waitMs?: number; timeoutMs?: number }, flyteNamespace: string): PodInputs {
  const out: PodInputs = { config: {}, secret: {}, args: [], secretEnv: {}, files: {} };
  const secrets = o.target.secrets;
  const shipped = new Map<string, string>(); // local path -> path in the pod
  const referenced = (text: string): string => text.replace(PATH_IN_TEXT, (p: string, _g: string, at: number) => {
    // Kubernetes volume paths describe Flyte's pods, not files of this machine: never rewritten.
    if (VOLUME_PATH_KEY.test(text.slice(Math.max(0, at - 40), at))) return p;
    const known = shipped.get(p);
    if (known) return known;
    if (NOT_SHIPPED.test(p)) return p;
    let buf: Buffer;
    try {
      const st = statSync(p);
      if (!st.isFile() || st.size > MAX_SHIPPED_FILE) return p;
      buf = readFileSync(p);
    } catch { return p; }
    const content = buf.toString('utf8');
    if (!Buffer.from(content, 'utf8').equals(buf)) return p; // not text: a ConfigMap/Secret stringData cannot carry it
    const key = keyFor('file', shipped.size, p);
    const secret = holdsSecret(content, secrets) || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(content);
    (secret ? out.secret : out.config)[key] = content;
    const inPod = `${INPUTS_DIR}/${secret ? 'secret' : 'config'}/${key}`;
    shipped.set(p, inPod);
    out.files![p] = inPod;
    return inPod;
  });
  const ship = (flag: string, prefix: string, file: string, i: number) => {
    const text = referenced(readFileSync(resolve(o.cwd, file), 'utf8'));
    const key = keyFor(prefix, i, file);
    const secret = holdsSecret(text, secrets);
    (secret ? out.secret : out.config)[key] = text;
    out.args.push(flag, `${INPUTS_DIR}/${secret ? 'secret' : 'config'}/${key}`);
  };
  o.input.values.forEach((f, i) => ship('-f', 'values', f, i));
  (o.input.serverConfigs ?? []).forEach((f, i) => ship('--server-config', 'server-config', f, i));
  if (o.input.manifests && o.input.manifests !== '-') {
    const p = resolve(o.cwd, o.input.manifests);
    const files = statSync(p).isDirectory() ? readdirSync(p).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort().map((f) => join(p, f)) : [p];
    const text = referenced(files.map((f) => readFileSync(f, 'utf8')).join('\n---\n'));
    const secret = holdsSecret(text, secrets);
    (secret ? out.secret : out.config)['manifests.yaml'] = text;
    out.args.push('--manifests', `${INPUTS_DIR}/${secret ? 'secret' : 'config'}/manifests.yaml`);
  }
  const fc = o.input.flytectlConfig ?? o.target.client.configPath;
  if (fc && existsSync(resolve(o.cwd, fc))) ship('--flytectl-config', 'flytectl', fc, 0);
  o.input.set.forEach((s, i) => {
    out.secret[`set-${i}`] = referenced(s);
    out.secretEnv[`FLYTE_DOCTOR_SET_${i}`] = `set-${i}`;
    out.args.push('--set', `$(FLYTE_DOCTOR_SET_${i})`); // expanded by the kubelet from the Secret: never in the Job spec
  });
  if (o.env['PGPASSWORD']) { out.secret['pgpassword'] = o.env['PGPASSWORD']; out.secretEnv['PGPASSWORD'] = 'pgpassword'; }
  if (o.target.chart) out.args.push('--chart', o.target.chart);
  if (o.input.endpoint) out.args.push('--endpoint', o.input.endpoint);
  out.args.push('-n', flyteNamespace);
  const only = o.only.filter((s) => !s.startsWith('kubernetes.incluster'));
  if (only.length) out.args.push('--only', only.join(','));
  const skip = [...o.skip, 'kubernetes.incluster.*'];
  out.args.push('--skip', skip.join(','));
  if (o.waitMs !== undefined && o.waitMs > 0) {
    const limit = o.timeoutMs === undefined ? o.waitMs : Math.max(0, o.timeoutMs - Math.min(60_000, Math.ceil(o.timeoutMs / 3)));
    const wait = Math.min(o.waitMs, limit);
    if (wait > 0) out.args.push('--wait', `${wait}ms`);
  }
  out.args.push('--timeout', `${o.checkTimeoutMs}ms`, '-o', 'json');
  return out;
}

const WAITING_IMAGE = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull', 'RegistryUnavailable', 'ImageInspectError', 'SignatureValidationFailed']);
const WAITING_CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError', 'RunContainerError', 'CrashLoopBackOff', 'ContainerCannotRun', 'PreCreateHookError', 'PostStartHookError']);

interface PodView { name: string; phase: string; waiting?: { reason: string; message: string }; terminated?: { reason: string; exitCode: number; message: string }; unschedulable?: string }

function podView(p: any): PodView {
  const cs = Array.isArray(p?.status?.containerStatuses) ? p.status.containerStatuses[0] : undefined;
  const w = cs?.state?.waiting, t = cs?.state?.terminated;
  const sched = Array.isArray(p?.status?.conditions) ? p.status.conditions.find((c: any) => c?.type === 'PodScheduled' && c?.status === 'False') : undefined;
  return {
    name: String(p?.metadata?.name ?? '?'), phase: String(p?.status?.phase ?? 'Pending'),
    ...(w && typeof w.reason === 'string' ? { waiting: { reason: w.reason, message: String(w.message ?? '') } } : {}),
    ...(t ? { terminated: { reason: String(t.reason ?? ''), exitCode: Number(t.exitCode ?? -1), message: String(t.message ?? '') } } : {}),
    ...(sched ? { unschedulable: `${sched.reason ?? 'Unschedulable'}: ${sched.message ?? ''}`.trim() } : {}),
  };
}

const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((r) => {
  if (signal?.aborted) return r();
  const t = setTimeout(done, ms);
  function done() { clearTimeout(t); signal?.removeEventListener('abort', done); r(); }
  signal?.addEventListener('abort', done, { once: true });
});

/** Decodes the pod's report (gzip + base64 JSON) and checks its shape. */
export function decodeReport(text: string): Report {
  const json = JSON.parse(gunzipSync(Buffer.from(text, 'base64')).toString('utf8')) as Report;
  if (!json || typeof json !== 'object' || !Array.isArray(json.results) || json.results.some((r) => !r || typeof r.id !== 'string' || typeof r.status !== 'string')) throw new Error('not a flyte-doctor report (no results list)');
  return json;
}

export async function launchInCluster(o: LaunchOptions): Promise<LaunchResult> {
  const t0 = Date.now();
  const where = placement(o.target, o);
  const ranAt = `in-cluster/${where.namespace}/${where.serviceAccount}`;
  const name = objectName(o.runId);
  const k = kubectl(o.target.kubernetes, where.namespace);
  const deleteAll = `${k} delete job,pod,configmap,secret,role,rolebinding -l ${RUN_LABEL}=${o.runId.toLowerCase()}`;
  const base: Record<string, Json> = { namespace: where.namespace, serviceAccount: where.serviceAccount, serviceAccountFrom: where.why, image: o.image, job: name };
  const created: ObjectRef[] = [];
  const result = (outcome: LaunchOutcome, extra: Partial<LaunchResult> = {}): Omit<LaunchResult, 'residue' | 'durationMs'> => ({ outcome: { ...outcome, details: { ...base, ...outcome.details } }, ranAt, created: created.map((c) => `${c.kind}/${c.name}`), ...extra });

  let api: Api;
  try { api = openApi(o.target.kubernetes, o.env, o.cwd); } catch (e) {
    return { ...result({ status: 'error', messageId: 'kubeconfig', message: `cannot launch the in-cluster run: ${(e as Error).message}`, hint: 'give a kubeconfig whose identity may create the Job (--kubeconfig, --context); see kubernetes.incluster.rbac', details: {} }), residue: [], durationMs: Date.now() - t0 };
  }
  const signal = o.signal;
  const deadline = t0 + o.timeoutMs;
  const poll = o.pollMs ?? 1000;
  let main: Omit<LaunchResult, 'residue' | 'durationMs'>;
  try {
    main = await (async () => {
      // Each call within what is left of --in-cluster-timeout (at least 1 s, at most 10 s): a stalled
      // API server or exec plugin costs the launcher's time limit, not 10 s per call past it.
      const call = () => ({ timeoutMs: Math.max(1000, Math.min(10_000, deadline - Date.now())), ...(signal ? { signal } : {}) });
      // 1. the namespace and the service account exist
      const ns = await api.getOptional(`/api/v1/namespaces/${where.namespace}`, call()).catch((e) => { if (e instanceof ApiError && e.status === 403) return {}; throw e; });
      if (!ns) return result({ status: 'fail', messageId: 'namespaceMissing', message: `namespace ${where.namespace} does not exist, so the in-cluster run has nowhere to go`, hint: o.projectDomain ? `create the project first (flytectl create project ...: Flyte's cluster resource sync creates ${where.namespace}), or check --project-domain` : `install Flyte into ${where.namespace}, or pass the Flyte namespace with -n`, details: {} });
      const sa = await api.getOptional(`/api/v1/namespaces/${where.namespace}/serviceaccounts/${where.serviceAccount}`, call());
      if (!sa) return result({ status: 'fail', messageId: 'serviceAccountMissing', message: `service account ${where.serviceAccount} does not exist in namespace ${where.namespace} (${where.why})`, hint: `pass the service account Flyte runs as with --service-account (\`${k} get serviceaccounts\`), or install the chart first (preflight before an install: create it, or use --service-account default)`, details: {} });
      // 2. create
      const inputs = podInputs(o, o.target.kubernetes.namespace);
      if (Object.keys(inputs.files ?? {}).length) base['shippedFiles'] = Object.keys(inputs.files!);
      const objs = runObjects({ runId: o.runId, namespace: where.namespace, serviceAccount: where.serviceAccount, image: o.image, command: o.command, inputs, deadlineSeconds: Math.ceil(o.timeoutMs / 1000) + 30, hostNetwork: o.hostNetwork ?? /^(1|true|yes)$/i.test(o.env[HOST_NETWORK_ENV] ?? '') });
      for (const step of creationOrder(objs)) {
        if (signal?.aborted) return result({ status: 'error', messageId: 'interrupted', message: 'the in-cluster run was interrupted before its pod started', details: {} });
        try {
          await api.call('POST', step.collection, step.body, call());
          created.push(step.ref);
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          const msg = api.scrub(e.message);
          if (e.status === 403) return result({ status: 'fail', messageId: 'forbidden', message: `creating ${step.ref.kind} ${step.ref.name} in ${where.namespace} was refused (HTTP 403) for user "${api.user}": ${msg}`, hint: `grant the launcher's permissions in ${where.namespace} (kubernetes.incluster.rbac lists them; e.g. \`${k} create rolebinding flyte-doctor-launcher --clusterrole=admin --user=<you>\`)`, details: { request: e.request ?? null, httpStatus: 403 }, cause: cause.denied('kubernetes', api.user || 'anonymous', 'in-cluster run') });
          return result({ status: 'error', messageId: 'apiFailed', message: `creating ${step.ref.kind} ${step.ref.name} failed: ${msg}`, hint: 'see the API server\'s answer; kubernetes.api.reachable checks the connection', details: { request: e.request ?? null, httpStatus: e.status } });
        }
      }
      // 3. follow the pod
      let last: PodView | undefined;
      let jobFailed: string | undefined;
      while (Date.now() < deadline && !signal?.aborted) {
        const pods = await api.call(`GET`, `/api/v1/namespaces/${where.namespace}/pods?labelSelector=${encodeURIComponent(`job-name=${name}`)}`, undefined, call()).catch(() => undefined);
        const pod = Array.isArray(pods?.items) && pods.items.length ? pods.items[pods.items.length - 1] : undefined;
        if (pod) {
          last = podView(pod);
          const w = last.waiting;
          if (w && WAITING_IMAGE.has(w.reason)) {
            return result({ status: 'fail', messageId: 'imagePull', message: `the in-cluster pod ${last.name} cannot start: ${w.reason} for image "${o.image}"${w.message ? ` (${w.message})` : ''}`, hint: `build and push the flyte-doctor image to a registry the cluster pulls from (deploy/Dockerfile) and pass it with --in-cluster-image <registry>/flyte-doctor:<version>; for a private registry add an imagePullSecret to service account ${where.serviceAccount}`, details: { pod: last.name, reason: w.reason } });
          }
          if (w && WAITING_CONFIG.has(w.reason)) {
            return result({ status: 'fail', messageId: 'containerConfig', message: `the in-cluster pod ${last.name} cannot start its container: ${w.reason}${w.message ? ` (${w.message})` : ''}`, hint: w.reason === 'CreateContainerConfigError' ? `a ConfigMap or Secret the pod mounts is missing or the image's user is not numeric (runAsNonRoot): \`${k} describe pod ${last.name}\`` : `\`${k} describe pod ${last.name}\` and \`${k} logs ${last.name}\` say why`, details: { pod: last.name, reason: w.reason } });
          }
          if (last.phase === 'Succeeded' || last.phase === 'Failed') break;
        }
        const job = await api.getOptional(`/apis/batch/v1/namespaces/${where.namespace}/jobs/${name}`, call()).catch(() => undefined);
        const failed = Array.isArray(job?.status?.conditions) ? job.status.conditions.find((c: any) => c?.type === 'Failed' && c?.status === 'True') : undefined;
        if (failed && !(last && (last.phase === 'Running'))) { jobFailed = `${failed.reason ?? 'Failed'}: ${failed.message ?? ''}`.trim(); if (!pod || last?.phase !== 'Pending') break; }
        await sleep(Math.min(poll, Math.max(0, deadline - Date.now())), signal);
      }
      if (signal?.aborted) return result({ status: 'error', messageId: 'interrupted', message: `the in-cluster run was interrupted${last ? ` (pod ${last.name} ${last.phase})` : ''}; its objects were removed`, details: { ...(last ? { pod: last.name, phase: last.phase } : {}) } });
      // 4. the report
      const finished = last && (last.phase === 'Succeeded' || last.phase === 'Failed');
      if (!finished) {
        if (last?.unschedulable) return result({ status: 'fail', messageId: 'unschedulable', message: `the in-cluster pod ${last.name} was not scheduled within ${Math.round(o.timeoutMs / 1000)}s: ${last.unschedulable}`, hint: `make room or allow the pod on a node (requests 50m CPU / 128Mi; taints and node selectors of ${where.namespace}): \`${k} describe pod ${last.name}\``, details: { pod: last.name } });
        return result({
          status: 'error', messageId: 'timeout',
          message: last ? `the in-cluster pod ${last.name} did not finish within ${Math.round(o.timeoutMs / 1000)}s (phase ${last.phase}${last.waiting ? `, ${last.waiting.reason}` : ''})${jobFailed ? `; Job: ${jobFailed}` : ''}` : `no pod was created for Job ${name} within ${Math.round(o.timeoutMs / 1000)}s${jobFailed ? ` (Job: ${jobFailed})` : ' (is the Job controller running? do admission policies refuse the pod?)'}`,
          hint: `raise --in-cluster-timeout, or look at \`${k} describe job ${name}\` and \`${k} get events\``, details: { ...(last ? { pod: last.name, phase: last.phase } : {}) },
        });
      }
      const cm = await api.getOptional(`/api/v1/namespaces/${where.namespace}/configmaps/${name}-report`, call());
      const data = cm?.data?.[REPORT_KEY];
      const term = last!.terminated?.message?.trim() ?? '';
      if (typeof data !== 'string' || !data) {
        if (/HTTP 403|forbidden/i.test(term)) return result({ status: 'fail', messageId: 'reportWriteDenied', message: `the in-cluster pod ran but service account ${where.serviceAccount} may not write its report to ConfigMap ${name}-report: ${term.split('\n')[0]!.slice(0, 400)}`, hint: `the Role/RoleBinding ${name}-report grant it; an admission policy or a missing binding refused it: \`${k} auth can-i update configmaps/${name}-report --as=system:serviceaccount:${where.namespace}:${where.serviceAccount}\``, details: { pod: last!.name, exitCode: last!.terminated?.exitCode ?? null } });
        return result({ status: 'fail', messageId: 'noReport', message: `the in-cluster pod ${last!.name} ended (${last!.phase}, exit code ${last!.terminated?.exitCode ?? '?'}) without writing its report${term ? `: ${term.split('\n')[0]!.slice(0, 400)}` : ''}`, hint: `\`${k} logs ${last!.name}\` says why (an image of another flyte-doctor version?)`, details: { pod: last!.name, exitCode: last!.terminated?.exitCode ?? null } });
      }
      let report: Report;
      try { report = decodeReport(data); } catch (e) {
        return result({ status: 'error', messageId: 'badReport', message: `the in-cluster pod's report cannot be read: ${(e as Error).message}`, hint: 'use the same flyte-doctor version locally and in the image (--in-cluster-image)', details: { pod: last!.name } });
      }
      const counts = report.results.reduce<Record<string, number>>((a, r) => ({ ...a, [r.status]: (a[r.status] ?? 0) + 1 }), {});
      return result({ status: 'pass', messageId: 'ran', message: `ran ${report.results.length} checks in pod ${last!.name} as service account ${where.serviceAccount} in ${where.namespace} (${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')})`, details: { pod: last!.name, podExitCode: last!.terminated?.exitCode ?? null, results: report.results.length } }, { report });
    })();
  } catch (e) {
    main = result({ status: 'error', messageId: 'apiFailed', message: `the in-cluster run failed: ${api.scrub((e as Error)?.message ?? String(e))}`, hint: 'kubernetes.api.reachable checks the connection to the API server', details: {} });
  }
  // 5. cleanup: everything created, also after a failure, a timeout or a signal
  const residue = await cleanup(api, created, where.namespace, name, deleteAll, signal?.aborted ? 5000 : 8000);
  api.close();
  return { ...main, residue, durationMs: Date.now() - t0 };
}

async function cleanup(api: Api, created: readonly ObjectRef[], namespace: string, job: string, deleteAll: string, budgetMs: number): Promise<string[]> {
  if (!created.length) return [];
  const entry = { label: `in-cluster objects of Job ${job} in ${namespace}`, command: deleteAll };
  pending.add(entry);
  const call = { timeoutMs: Math.min(4000, budgetMs) };
  const left = new Set<string>();
  const work = (async () => {
    // The Job first (no new pod), then its pods (no garbage collector is assumed), then the rest.
    const jobRef = created.find((c) => c.kind === 'Job');
    if (jobRef) await api.remove(jobRef.apiPath, call).catch(() => left.add(`Job/${jobRef.name}`));
    const pods = await api.call('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`job-name=${job}`)}`, undefined, call).catch(() => ({ items: [] }));
    await Promise.all([
      // gracePeriodSeconds 0: the pod is ours and its work is over (or abandoned): no 30 s grace to wait out.
      ...(Array.isArray(pods?.items) ? pods.items : []).map((p: any) => api.call('DELETE', `/api/v1/namespaces/${namespace}/pods/${p.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 }, call).catch((e) => { if (!(e instanceof ApiError && e.status === 404)) left.add(`Pod/${p.metadata.name}`); })),
      ...created.filter((c) => c.kind !== 'Job').map((c) => api.remove(c.apiPath, call).catch(() => left.add(`${c.kind}/${c.name}`))),
    ]);
    // Confirm: every object answers 404 (a pod with a finalizer or a slow delete is still listed).
    for (const c of created) {
      const still = await api.getOptional(c.apiPath, call).catch(() => ({}));
      if (still) left.add(`${c.kind}/${c.name}`);
    }
    const after = await api.call('GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=${encodeURIComponent(`job-name=${job}`)}`, undefined, call).catch(() => undefined);
    for (const p of Array.isArray(after?.items) ? after.items : []) left.add(`Pod/${p?.metadata?.name}`);
  })();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([work.then(() => false, () => false), new Promise<boolean>((r) => { timer = setTimeout(() => r(true), budgetMs); })]);
  clearTimeout(timer);
  pending.delete(entry);
  if (timedOut) return [`in-cluster cleanup did not finish within ${budgetMs / 1000}s; objects of Job ${job} may be left in ${namespace}; remove with: ${deleteAll}`];
  return left.size ? [`in-cluster objects left in ${namespace}: ${[...left].join(', ')}; remove with: ${deleteAll}`] : [];
}
