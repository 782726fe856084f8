// A stand-in for the Job controller and the kubelet, for the test bed's kube-apiserver (which has
// neither). It watches (polls) Jobs in the namespaces it is given and, for each new Job:
//   - creates the Pod from the Job's template, as the Job controller would (labels job-name,
//     batch.kubernetes.io/job-name, controller-uid; an ownerReference to the Job; a node name);
//   - "runs" it as the kubelet would, per `behaviour(job)`:
//       'run'              the pod's container is the real CLI, started as a child process
//                          (`node --import tsx src/cli.ts`, or the bundle with FAKE_KUBELET_BUNDLE=1)
//                          with the environment a pod has: KUBERNETES_SERVICE_HOST/PORT of the test
//                          API server, a service-account directory ($FLYTE_DOCTOR_SA_DIR) holding a
//                          token requested for the pod's service account through the TokenRequest API,
//                          the bed's CA and the namespace; the pod's env (value, secretKeyRef,
//                          configMapKeyRef, fieldRef metadata.namespace) and $(VAR) expansion in args;
//                          ConfigMap/Secret volumes written to temp dirs (mount paths in args rewritten);
//                          a termination-log file whose content becomes the terminated state's message;
//       'imagePullBackOff' the pod stays Pending, waiting with reason ImagePullBackOff;
//       'unschedulable'    PodScheduled False, reason Unschedulable;
//       'hang'             the pod stays Pending with no status (a stalled node);
//   - writes the pod's status (Running, then Succeeded/Failed with the exit code) and the Job's status
//     (Complete/Failed conditions) through the status subresources, as the controllers would;
//   - deletes pods marked for deletion (the kubelet confirms graceful deletion) and kills the process
//     of a pod that was deleted.
// Everything goes through the real API server with the bed's admin token, except what the pod does:
// that uses the pod's own token, so the RBAC the launcher creates is really exercised.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { kubeCall, kubeRequest, type KubeTarget } from './kube.js';

export type Behaviour = 'run' | 'imagePullBackOff' | 'unschedulable' | 'hang';

export interface FakeKubeletOptions {
  kube: KubeTarget;
  adminToken: string;
  namespaces: string[];
  behaviour?: (job: any) => Behaviour;
  /** Extra environment of every pod (e.g. FLYTE_DOCTOR_DNS_SERVER: the cluster's DNS). */
  podEnv?: Record<string, string>;
  /** Called before a 'run' pod starts (e.g. to remove a RoleBinding). */
  beforeRun?: (job: any, pod: any) => Promise<void>;
  pollMs?: number;
}

export interface PodRecord { namespace: string; job: string; pod: string; behaviour: Behaviour; args?: string[]; exitCode?: number; stdout?: string; stderr?: string; terminationMessage?: string; /** What the fake kubelet itself failed at. */ kubeletError?: string; /** mountPath -> the temp dir standing for it (read emptyDir report files here; removed at stop()). */ mounts?: Record<string, string> }

export interface FakeKubelet {
  pods: PodRecord[];
  /** Resolves when a pod of a Job has finished (or after `ms`). */
  waitForPod(pred: (p: PodRecord) => boolean, ms?: number): Promise<PodRecord | undefined>;
  stop(): Promise<void>;
}

const REPO = resolve(import.meta.dirname, '..', '..');

export function startFakeKubelet(o: FakeKubeletOptions): FakeKubelet {
  const seen = new Set<string>();
  const children = new Map<string, ChildProcess>(); // pod key -> process we started
  const dirs: string[] = [];
  const pods: PodRecord[] = [];
  let stopped = false;
  const api = (method: string, path: string, body?: unknown, ok?: (s: number) => boolean) => kubeCall(o.kube, o.adminToken, method, path, body, undefined, ok);

  async function setPodStatus(ns: string, name: string, status: Record<string, unknown>): Promise<void> {
    const cur = await kubeRequest(o.kube, o.adminToken, 'GET', `/api/v1/namespaces/${ns}/pods/${name}`);
    if (cur.status !== 200) return;
    await kubeRequest(o.kube, o.adminToken, 'PUT', `/api/v1/namespaces/${ns}/pods/${name}/status`, { ...cur.body, status: { ...(cur.body.status ?? {}), ...status } });
  }
  async function setJobStatus(ns: string, name: string, status: Record<string, unknown>): Promise<void> {
    const cur = await kubeRequest(o.kube, o.adminToken, 'GET', `/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
    if (cur.status !== 200) return;
    const prev = cur.body.status ?? {};
    // startTime is set once (the API server refuses to change it for a running Job).
    const next = { ...prev, ...status, ...(prev.startTime ? { startTime: prev.startTime } : {}) };
    const r = await kubeRequest(o.kube, o.adminToken, 'PUT', `/apis/batch/v1/namespaces/${ns}/jobs/${name}/status`, { ...cur.body, status: next });
    if (r.status >= 300) throw new Error(`fake kubelet: job status ${ns}/${name}: HTTP ${r.status}: ${JSON.stringify(r.body).slice(0, 500)}`);
  }

  async function podEnvironment(ns: string, pod: any, container: any, saDir: string, termLog: string): Promise<NodeJS.ProcessEnv> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, KUBERNETES_SERVICE_HOST: new URL(o.kube.server).hostname, KUBERNETES_SERVICE_PORT: new URL(o.kube.server).port,
      FLYTE_DOCTOR_SA_DIR: saDir, FLYTE_DOCTOR_TERMINATION_LOG: termLog, ...(o.podEnv ?? {}),
    };
    for (const e of container.env ?? []) {
      if (typeof e.value === 'string') env[e.name] = e.value;
      const sk = e.valueFrom?.secretKeyRef, ck = e.valueFrom?.configMapKeyRef, fr = e.valueFrom?.fieldRef;
      if (sk) { const s = await api('GET', `/api/v1/namespaces/${ns}/secrets/${sk.name}`); env[e.name] = Buffer.from(s.data?.[sk.key] ?? '', 'base64').toString('utf8'); }
      if (ck) { const c = await api('GET', `/api/v1/namespaces/${ns}/configmaps/${ck.name}`); env[e.name] = c.data?.[ck.key] ?? ''; }
      if (fr?.fieldPath === 'metadata.namespace') env[e.name] = ns;
      if (fr?.fieldPath === 'metadata.name') env[e.name] = pod.metadata.name;
    }
    return env;
  }

  async function run(ns: string, job: any, pod: any, rec: PodRecord): Promise<void> {
    const spec = pod.spec;
    const container = spec.containers[0];
    const sa = spec.serviceAccountName ?? 'default';
    const root = mkdtempSync(join(tmpdir(), 'fd-ic-pod-'));
    dirs.push(root);
    // The projected service-account volume: a real token for the pod's service account.
    const saDir = join(root, 'serviceaccount');
    mkdirSync(saDir);
    const tr = await api('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
    writeFileSync(join(saDir, 'token'), tr.status.token);
    writeFileSync(join(saDir, 'ca.crt'), readFileSync(o.kube.caFile));
    writeFileSync(join(saDir, 'namespace'), ns);
    // Volumes: ConfigMaps and Secrets written out; emptyDirs as temp dirs.
    const mounts = new Map<string, string>();
    for (const v of spec.volumes ?? []) {
      const dir = join(root, 'volumes', v.name);
      mkdirSync(dir, { recursive: true });
      if (v.configMap) { const c = await api('GET', `/api/v1/namespaces/${ns}/configmaps/${v.configMap.name}`); for (const [k, t] of Object.entries(c.data ?? {})) writeFileSync(join(dir, k), String(t)); }
      if (v.secret) { const s = await api('GET', `/api/v1/namespaces/${ns}/secrets/${v.secret.secretName}`); for (const [k, t] of Object.entries(s.data ?? {})) writeFileSync(join(dir, k), Buffer.from(String(t), 'base64'), { mode: 0o600 }); }
      const m = (container.volumeMounts ?? []).find((x: any) => x.name === v.name);
      if (m) mounts.set(m.mountPath, dir);
    }
    const termLog = join(root, 'termination-log');
    const env = await podEnvironment(ns, pod, container, saDir, termLog);
    if (mounts.has('/tmp')) env['TMPDIR'] = mounts.get('/tmp')!;
    if (env['HOME'] === '/tmp' && mounts.has('/tmp')) env['HOME'] = mounts.get('/tmp')!;
    // $(VAR) expansion (the kubelet's), then mount paths rewritten to the temp dirs.
    const args: string[] = [...(container.command ?? []).slice(1), ...(container.args ?? [])].map((a: string) => a.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, n) => (env[n] !== undefined ? env[n]! : all)))
      // No mount namespace here: a path under a mount (alone, or after `=` as in --report junit=/reports/x.xml) points into its temp dir.
      .map((a) => { for (const [mp, dir] of mounts) { const m = new RegExp(`(^|=)${mp.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=/|$)`).exec(a); if (m) return a.slice(0, m.index + m[1]!.length) + dir + a.slice(m.index + m[0].length); } return a; });
    rec.args = args;
    rec.mounts = Object.fromEntries(mounts);
    // tsx by absolute URL: the pod's working directory is its own temp dir.
    const cmd = process.env.FAKE_KUBELET_BUNDLE ? [join(REPO, 'dist', 'flyte-doctor.mjs')] : ['--import', pathToFileURL(join(REPO, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(REPO, 'src', 'cli.ts')];
    if (o.beforeRun) await o.beforeRun(job, pod);
    await setPodStatus(ns, pod.metadata.name, { phase: 'Running', startTime: new Date().toISOString(), conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'True' }], containerStatuses: [{ name: container.name, image: container.image, imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: new Date().toISOString() } } }] });
    const child = spawn(process.execPath, [...cmd, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const key = `${ns}/${pod.metadata.name}`;
    children.set(key, child);
    let out = '', err = '';
    child.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    child.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    const code = await new Promise<number>((r) => child.on('close', (c, sig) => r(c ?? (sig ? 137 : 1))));
    children.delete(key);
    rec.exitCode = code; rec.stdout = out; rec.stderr = err;
    const msg = existsSync(termLog) ? readFileSync(termLog, 'utf8') : '';
    rec.terminationMessage = msg;
    if (stopped) return;
    const now = new Date().toISOString();
    await setPodStatus(ns, pod.metadata.name, { phase: code === 0 ? 'Succeeded' : 'Failed', containerStatuses: [{ name: container.name, image: container.image, imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', message: msg || err.slice(-2000), startedAt: now, finishedAt: now } } }] });
    await setJobStatus(ns, job.metadata.name, code === 0
      ? { succeeded: 1, active: 0, startTime: now, completionTime: now, conditions: [{ type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: now }, { type: 'Complete', status: 'True', lastTransitionTime: now }] }
      : { failed: 1, active: 0, startTime: now, conditions: [{ type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: now }, { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit', lastTransitionTime: now }] });
  }

  async function startJob(ns: string, job: any): Promise<void> {
    const behaviour = o.behaviour?.(job) ?? 'run';
    const tpl = job.spec.template;
    const name = `${job.metadata.name}-${randomBytes(3).toString('hex').slice(0, 5)}`;
    const labels = { ...(tpl.metadata?.labels ?? {}), 'job-name': job.metadata.name, 'batch.kubernetes.io/job-name': job.metadata.name, 'controller-uid': job.metadata.uid, 'batch.kubernetes.io/controller-uid': job.metadata.uid };
    const pod = await api('POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: ns, labels, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true, blockOwnerDeletion: true }] },
      spec: { ...tpl.spec, nodeName: behaviour === 'unschedulable' ? undefined : 'testbed-node' },
    });
    const rec: PodRecord = { namespace: ns, job: job.metadata.name, pod: name, behaviour };
    pods.push(rec);
    await setJobStatus(ns, job.metadata.name, { active: 1, startTime: new Date().toISOString() });
    const image = tpl.spec.containers[0].image;
    if (behaviour === 'imagePullBackOff') {
      await setPodStatus(ns, name, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }], containerStatuses: [{ name: tpl.spec.containers[0].name, image, imageID: '', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${image}": ErrImagePull: failed to pull and unpack image "docker.io/library/${image}": pull access denied, repository does not exist or may require authorization` } } }] });
      return;
    }
    if (behaviour === 'unschedulable') {
      await setPodStatus(ns, name, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/1 nodes are available: 1 Insufficient memory.' }] });
      return;
    }
    if (behaviour === 'hang') return;
    await run(ns, job, pod, rec).catch((e) => { rec.kubeletError = (e as Error).message; });
  }

  async function tick(): Promise<void> {
    for (const ns of o.namespaces) {
      const jobs = await kubeRequest(o.kube, o.adminToken, 'GET', `/apis/batch/v1/namespaces/${ns}/jobs`);
      for (const job of jobs.status === 200 ? jobs.body.items ?? [] : []) {
        if (seen.has(job.metadata.uid)) continue;
        seen.add(job.metadata.uid);
        void startJob(ns, job).catch(() => { /* the namespace went away */ });
      }
      // The kubelet's side of deletion: confirm graceful deletes, kill what was deleted.
      const list = await kubeRequest(o.kube, o.adminToken, 'GET', `/api/v1/namespaces/${ns}/pods`);
      const present = new Set<string>();
      for (const p of list.status === 200 ? list.body.items ?? [] : []) {
        present.add(`${ns}/${p.metadata.name}`);
        if (p.metadata.deletionTimestamp) await kubeRequest(o.kube, o.adminToken, 'DELETE', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}`, { gracePeriodSeconds: 0 });
      }
      for (const [key, child] of children) if (key.startsWith(`${ns}/`) && !present.has(key)) child.kill('SIGTERM');
    }
  }

  let loop: Promise<void> = Promise.resolve();
  const timer = setInterval(() => { loop = loop.then(tick).catch(() => {}); }, o.pollMs ?? 250);

  return {
    pods,
    async waitForPod(pred, ms = 60_000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const p = pods.find(pred);
        if (p) return p;
        await new Promise((r) => setTimeout(r, 100));
      }
      return undefined;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await loop;
      for (const c of children.values()) c.kill('SIGKILL');
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}
