// Why a pod is not serving, from the real API objects: its status (phase, conditions, container and
// init-container states, last termination) and its events (scheduler, kubelet, volume, sandbox,
// probe). Every waiting/terminated reason and event reason Kubernetes documents maps to a kind of
// diagnosis; anything else is kept as "unrecognised" with its reason and message, never dropped.
// Typed evidence only (no findings): checks/flyte/_support.ts turns it into text, fix and cause.
// Every field is read defensively: an odd answer from a server never throws here.
import { INIT_CONTAINERS, waitForDbTarget } from './kubernetes.js';
import { familyLine } from './crash-text.js';

const isObj = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface EventLike { reason?: unknown; message?: unknown; type?: unknown; count?: unknown; involvedObject?: unknown; lastTimestamp?: unknown; eventTime?: unknown; series?: unknown }

export type DiagnosisKind =
  | 'unschedulable' | 'scheduling-gated'
  | 'not-scheduled'     // Pending, no node, and no scheduler has said anything (no PodScheduled condition, no FailedScheduling)
  | 'image-pull' | 'invalid-image' | 'image-never-pull'
  | 'crash-loop' | 'terminated'
  | 'config-error'      // CreateContainerConfigError: a Secret/ConfigMap/key the pod references is missing
  | 'create-error'      // CreateContainerError, RunContainerError, ContainerCannotRun, StartError, hook errors
  | 'mount-failed'      // ContainerCreating with FailedMount / FailedAttachVolume
  | 'sandbox-failed'    // FailedCreatePodSandBox, NetworkNotReady
  | 'init-waiting'      // an init container runs and does not finish (wait-for-db...)
  | 'evicted' | 'pod-failed' | 'node-lost' | 'terminating'
  | 'probe-failed'      // running, not ready, Unhealthy events
  | 'not-ready' | 'creating' | 'pending'
  | 'unrecognised';

export type ImageProblem = 'auth' | 'not-found' | 'auth-or-not-found' | 'rate-limit' | 'network' | 'tls' | 'platform' | 'node-disk' | 'unknown';

export interface Scheduling {
  insufficient: string[];
  /** Taints someone set on purpose (a toleration or removing the taint is the fix). */
  taints: string[];
  /** Taints the node lifecycle controller sets for a node condition (node.kubernetes.io/not-ready, disk-pressure...): the node is the fault, tolerating it is not the fix. */
  conditionTaints: string[];
  affinity: boolean; pvc: boolean; volumeAffinity: boolean; ports: boolean; unschedulableNodes: boolean; tooManyPods: boolean;
  antiAffinity: boolean; podAffinity: boolean; topologySpread: boolean; volumeLimits: boolean;
  /** The VolumeBinding plugin found no node with enough free storage for a local/topology-aware volume ("did not have enough free storage"). */
  storageCapacity?: boolean;
  /** A PersistentVolumeClaim of the pod is being deleted (its name). */
  pvcDeleting?: string;
  /** The scheduler found no node at all ("no nodes available to schedule pods", "0/0 nodes"). */
  noNodes: boolean;
  /** Parts of the scheduler's message that match none of the classes above, quoted as they are. */
  unrecognised: string[];
  nodeCount?: number;
}

export interface PodDiagnosis {
  pod: string;
  kind: DiagnosisKind;
  /** The Kubernetes reason as written (ImagePullBackOff, Unschedulable, CrashLoopBackOff, Evicted...). */
  reason: string;
  container?: string;
  init?: boolean;
  message?: string;
  restarts?: number;
  lastTermination?: { reason?: string; exitCode?: number; signal?: number; message?: string };
  /** The most telling Warning event of this pod. */
  event?: { reason: string; message: string; count?: number };
  image?: string;
  imageProblem?: ImageProblem;
  /** A Secret / ConfigMap / key / PVC / ServiceAccount the pod needs and that does not exist. */
  missing?: { kind: 'Secret' | 'ConfigMap' | 'PersistentVolumeClaim' | 'ServiceAccount'; name: string; key?: string };
  scheduling?: Scheduling;
  probe?: { kind: string; message: string };
  /** wait-for-db: the database it waits for (from the container's pg_isready arguments). */
  waitsFor?: { host: string; port: number; user?: string };
  /** What the init container does (from INIT_CONTAINERS). */
  initRole?: string;
  /** A pod being deleted whose grace period has not ended yet (a normal shutdown, not a stuck one). */
  inGracePeriod?: boolean;
  /** spec.schedulerName of a pod no scheduler acted on. */
  schedulerName?: string;
  /** The kubelet restarted the container because its liveness or startup probe failed (its Unhealthy event). */
  probeKill?: { kind: 'Liveness' | 'Startup'; message: string; count?: number };
  /** The most telling line of the container's previous log (read by the check when the status has no termination message). */
  logLine?: string;
  /**
   * The whole termination message (bounded) when the one shown is an excerpt of it: with terminationMessagePolicy
   * FallbackToLogsOnError it is the log's tail, where the cause sits between earlier lines and a stack trace.
   */
  crashText?: string;
}

/** The last line of a log that says why a process stopped (a known crash family first, then error, fatal, panic...), trimmed. */
export function tellingLogLine(log: string): string | undefined {
  const known = familyLine(log);
  if (known) return known.replace(/\s+/g, ' ').slice(0, 240);
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  for (let i = lines.length - 1; i >= 0; i--) {
    if (/\b(error|fatal|panic|failed|denied|refused|unable|cannot|could not|timeout|no such host|not found)\b/i.test(lines[i]!)) return lines[i]!.replace(/\s+/g, ' ').slice(0, 240);
  }
  return undefined;
}

const s = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, any> => (isObj(v) ? v : {});
const one = (text: string | undefined, max = 400) => text?.replace(/\s+/g, ' ').trim().slice(0, max);
/** Bound of a termination message kept for reading (the kubelet keeps at most 4096 bytes, FallbackToLogsOnError 2048). */
const CRASH_TEXT_MAX = 4096;

/**
 * A termination message as shown: whole when it fits, else its telling line (a log tail's cause sits in the middle,
 * not in its first characters), with the whole text kept apart for reading.
 */
function terminationMessage(raw: string | undefined, max = 500): { message?: string; crashText?: string } {
  if (!raw) return {};
  const flat = one(raw, CRASH_TEXT_MAX)!;
  if (flat.length <= max) return flat ? { message: flat } : {};
  const line = familyLine(raw) ?? tellingLogLine(raw);
  const shown = line ? `… ${one(line, max - 2)}` : flat.slice(0, max);
  return { message: shown, crashText: raw.length > CRASH_TEXT_MAX ? raw.slice(-CRASH_TEXT_MAX) : raw };
}

/** How recent a container's last termination must be for a running, not-ready container to count as crash-looping. */
const RESTART_RECENT_MS = 30 * 60_000;

/** Severity order: a diagnosis earlier in this list explains more than one later. */
const RANK: DiagnosisKind[] = ['config-error', 'image-pull', 'invalid-image', 'image-never-pull', 'unschedulable', 'not-scheduled', 'init-waiting', 'crash-loop', 'terminated', 'create-error', 'mount-failed', 'sandbox-failed',
  'evicted', 'pod-failed', 'node-lost', 'probe-failed', 'scheduling-gated', 'terminating', 'unrecognised', 'not-ready', 'creating', 'pending'];
export const rankOf = (d: PodDiagnosis) => RANK.indexOf(d.kind);

/** Classifies an image pull error message (kubelet's Failed / ErrImagePull event, or the waiting message). */
export function classifyImagePull(message: string): ImageProblem {
  // Status codes only as codes ("429 Too Many Requests", "status code [manifests v1]: 403", "403 Forbidden"), never as three digits
  // inside a digest (sha256:8a429f...), an IP, a port or a size.
  const m = message.toLowerCase().replace(/sha256:[0-9a-f]+/g, 'sha256:<digest>');
  const code = (c: number) => new RegExp(`(?<![\\w.:/-])${c}(?![\\w.:/-])`).test(m);
  if (/no space left on device|disk quota exceeded|failed to (extract|register|apply) layer.*(no space|quota)/.test(m)) return 'node-disk';
  if (/toomanyrequests|too many requests|rate limit/.test(m) || code(429)) return 'rate-limit';
  if (/pull access denied|repository does not exist or may require/.test(m)) return 'auth-or-not-found';
  if (/unauthorized|authentication required|denied|forbidden|no basic auth credentials|insufficient_scope|access to the resource is denied/.test(m) || code(401) || code(403)) return 'auth';
  if (/not found|manifest unknown|name unknown|does not exist|no such image/.test(m) || code(404)) return 'not-found';
  if (/x509|certificate|tls:/.test(m)) return 'tls';
  if (/no match for platform|exec format error|not match the (specified|detected) platform/.test(m)) return 'platform';
  if (/i\/o timeout|no such host|connection refused|dial tcp|network is unreachable|tls handshake timeout|context deadline exceeded|\beof\b|connection reset/.test(m)) return 'network';
  return 'unknown';
}

export type SandboxProblem = 'ip-exhausted' | 'cni' | 'pause-image' | 'runtime-handler' | 'unknown';
/** What a FailedCreatePodSandBox / NetworkNotReady message says (kubelet, containerd/CRI-O, the CNI plugin). */
export function classifySandbox(message: string): SandboxProblem {
  const m = message;
  if (/no (more )?IP addresses? available|failed to (assign|allocate) (an )?IP|ipam.*(exhaust|no available)|InsufficientFreeAddressesInSubnet|failed to allocate for range|range is full|no available IP/i.test(m)) return 'ip-exhausted';
  if (/RuntimeHandler|no runtime for|runtimeclass|runtime handler/i.test(m)) return 'runtime-handler';
  if (/pause[:@]|sandbox image|failed to (pull|get) (the )?sandbox image|pull.*pause/i.test(m)) return 'pause-image';
  if (/network|cni|NetworkPlugin|plugin type=|calico|cilium|flannel|aws-node|weave/i.test(m)) return 'cni';
  return 'unknown';
}

export type VolumeProblem = 'multi-attach' | 'csi-driver-missing' | 'attach-denied' | 'timeout' | 'unknown';
/** What a FailedMount / FailedAttachVolume message says, when it names no missing object. */
export function classifyVolume(message: string): { problem: VolumeProblem; volumes?: string } {
  const m = message;
  const volumes = /unmounted volumes=\[([^\]]*)\]/.exec(m)?.[1] ?? /volume "([^"]+)"/.exec(m)?.[1];
  const w = volumes ? { volumes } : {};
  if (/Multi-Attach error/i.test(m)) return { problem: 'multi-attach', ...w };
  if (/driver name \S+ not found in the list of registered CSI drivers|CSI driver \S+ not found|attacher.*not found/i.test(m)) return { problem: 'csi-driver-missing', ...w };
  if (/UnauthorizedOperation|AccessDenied|PermissionDenied|forbidden|not authorized/i.test(m)) return { problem: 'attach-denied', ...w };
  if (/timed out waiting for the condition|context deadline exceeded|Unable to attach or mount volumes/i.test(m)) return { problem: 'timeout', ...w };
  return { problem: 'unknown', ...w };
}

/** Taints the node lifecycle controller / kubelet set for a node condition, and cordon (kubectl cordon sets node.kubernetes.io/unschedulable). */
const CONDITION_TAINT = /^node\.kubernetes\.io\/(not-ready|unreachable|disk-pressure|memory-pressure|pid-pressure|network-unavailable|out-of-service)\b|^node\.cloudprovider\.kubernetes\.io\/(uninitialized|shutdown)\b/;
const CORDON_TAINT = /^node\.kubernetes\.io\/unschedulable\b/;

/** The classes of a FailedScheduling part ("2 Insufficient cpu", "1 node(s) had untolerated taint {...}"), in the scheduler plugins' own words. */
const SCHEDULING_CLASSES: RegExp[] = [
  /Insufficient /, /taint/, /didn't match Pod's node affinity|node affinity\/selector|didn't match node selector|MatchNodeSelector/i,
  /unbound (immediate )?PersistentVolumeClaims|persistentvolumeclaim "[^"]+" not found|PersistentVolumeClaim is not bound|didn't find available persistent volumes to bind/i,
  /volume node affinity conflict/i, /didn't have free ports/i, /were unschedulable|unschedulable: true/i, /Too many pods/i,
  /didn't match pod anti-affinity rules|didn't satisfy existing pods anti-affinity rules/i, /didn't match pod affinity rules|pod affinity/i,
  /topology spread constraints/i, /exceed max volume count|max volume count/i, /no nodes available to schedule pods/i,
  /did not have enough free storage/i, /persistentvolumeclaim "[^"]+" is being deleted/i,
];

/** What a FailedScheduling message says ("0/3 nodes are available: 2 Insufficient cpu, 1 node(s) had untolerated taint {...}"). */
export function parseScheduling(message: string): Scheduling {
  const m = message;
  const allTaints = [...new Set([...m.matchAll(/(?:untolerated )?taint(?:s)? \{([^}]*)\}/g)].map((x) => x[1]!.trim()))];
  const taintKey = (t: string) => t.split(/[:=]/)[0]!.trim();
  const nodes = /(\d+)\/(\d+) nodes are available/.exec(m);
  // The parts before " preemption:" (what the scheduler saw; the preemption half repeats it).
  const head = m.split(/\.?\s*preemption:/i)[0]!;
  const list = /nodes are available:\s*(.*)$/s.exec(head)?.[1] ?? (nodes ? '' : head);
  const parts = list.split(/,\s+(?=\d+ )/).map((x) => x.trim().replace(/\.$/, '')).filter(Boolean);
  const unrecognised = parts.filter((x) => !SCHEDULING_CLASSES.some((re) => re.test(x)));
  return {
    insufficient: [...new Set([...m.matchAll(/Insufficient ([\w./-]+)/g)].map((x) => x[1]!.replace(/\.+$/, '')))],
    taints: allTaints.filter((t) => !CONDITION_TAINT.test(taintKey(t)) && !CORDON_TAINT.test(taintKey(t))),
    conditionTaints: allTaints.filter((t) => CONDITION_TAINT.test(taintKey(t))).map(taintKey),
    affinity: /didn't match Pod's node affinity|node affinity\/selector|didn't match node selector|MatchNodeSelector/i.test(m),
    pvc: /unbound (immediate )?PersistentVolumeClaims|persistentvolumeclaim "[^"]+" not found|PersistentVolumeClaim is not bound|didn't find available persistent volumes to bind/i.test(m),
    volumeAffinity: /volume node affinity conflict/i.test(m),
    ports: /didn't have free ports/i.test(m),
    unschedulableNodes: /node\(s\) were unschedulable|unschedulable: true/i.test(m) || allTaints.some((t) => CORDON_TAINT.test(taintKey(t))),
    tooManyPods: /Too many pods/i.test(m),
    antiAffinity: /didn't match pod anti-affinity rules|didn't satisfy existing pods anti-affinity rules/i.test(m),
    podAffinity: /didn't match pod affinity rules/i.test(m),
    topologySpread: /topology spread constraints/i.test(m),
    volumeLimits: /max volume count/i.test(m),
    ...(/did not have enough free storage/i.test(m) ? { storageCapacity: true } : {}),
    ...(/persistentvolumeclaim "([^"]+)" is being deleted/i.exec(m) ? { pvcDeleting: /persistentvolumeclaim "([^"]+)" is being deleted/i.exec(m)![1]! } : {}),
    noNodes: /no nodes available to schedule pods/i.test(m) || nodes?.[2] === '0',
    unrecognised,
    ...(nodes ? { nodeCount: Number(nodes[2]) } : {}),
  };
}

/** A Secret / ConfigMap / key / PVC / ServiceAccount named as missing in a kubelet or controller message. */
export function parseMissing(message: string): PodDiagnosis['missing'] | undefined {
  let m = /couldn't find key (\S+) in (Secret|ConfigMap) [\w.-]+\/([\w.-]+)/i.exec(message);
  if (m) return { kind: m[2]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: m[3]!, key: m[1]! };
  m = /(secret|configmap)s? "([^"]+)" not found/i.exec(message);
  if (m) { const key = /references non-existent (?:secret|config) key:? (\S+)/i.exec(message)?.[1]; return { kind: m[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: m[2]!, ...(key ? { key } : {}) }; }
  m = /persistentvolumeclaim "([^"]+)" not found/i.exec(message);
  if (m) return { kind: 'PersistentVolumeClaim', name: m[1]! };
  m = /serviceaccount "([^"]+)" not found/i.exec(message);
  if (m) return { kind: 'ServiceAccount', name: m[1]! };
  m = /references non-existent (secret|config) key:? (\S+)/i.exec(message);
  if (m) return { kind: m[1]!.toLowerCase() === 'secret' ? 'Secret' : 'ConfigMap', name: '?', key: m[2]! };
  return undefined;
}

/** The runtime could not start the process (the reasons containerd, CRI-O and docker write into a terminated state; exit 128 with an OCI runtime message). */
export function isStartFailure(t: { reason?: string; exitCode?: number; message?: string }): boolean {
  if (t.reason && /^(StartError|ContainerCannotRun|RunContainerError|CreateContainerError)$/.test(t.reason)) return true;
  return t.exitCode === 128 && /OCI runtime|failed to create (containerd|shim) task|starting container process caused|unable to start container process/i.test(t.message ?? '');
}

/** Warning events that explain a pod, most telling first. */
const EVENT_RANK = ['FailedScheduling', 'FailedMount', 'FailedAttachVolume', 'FailedMapVolume', 'FailedCreatePodSandBox', 'NetworkNotReady', 'Failed', 'ErrImageNeverPull', 'InspectFailed',
  'FailedCreatePodContainer', 'FailedPostStartHook', 'FailedPreStopHook', 'Unhealthy', 'ProbeWarning', 'BackOff', 'Evicted', 'Preempted', 'Preempting', 'FailedKillPod', 'FailedSync', 'FailedValidation', 'Killing', 'OutOfDisk', 'FailedPrepareDynamicResources'];
/** Normal (informational) event reasons: never a diagnosis on their own. */
const NORMAL_EVENTS = new Set(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started', 'SuccessfulAttachVolume', 'SuccessfulMountVolume', 'SandboxChanged', 'Killing', 'TaintManagerEviction', 'Preempting', 'NodeNotReady']);

function eventsOf(events: readonly EventLike[]) {
  return events.map((e) => ({ reason: s(e.reason) ?? '', message: one(s(e.message)) ?? '', type: s(e.type) ?? 'Normal', count: n(e.count) ?? n(obj(e.series)['count']) ?? 1, fieldPath: s(obj(e.involvedObject)['fieldPath']) ?? '' }))
    .filter((e) => e.reason);
}

function containerImage(spec: Record<string, any>, name: string, init: boolean): string | undefined {
  const list = arr(init ? spec['initContainers'] : spec['containers']);
  return s(obj(list.find((c) => isObj(c) && c['name'] === name))['image']);
}

/**
 * The most telling reason a pod does not serve, or undefined when it is Running and Ready.
 * `events` are this pod's events (any order).
 */
export function diagnosePod(pod: unknown, events: readonly EventLike[] = []): PodDiagnosis | undefined {
  const p = obj(pod);
  const md = obj(p['metadata']);
  const name = s(md['name']) ?? '(unnamed pod)';
  const st = obj(p['status']);
  const spec = obj(p['spec']);
  const evs = eventsOf(events);
  const warnings = evs.filter((e) => e.type === 'Warning' || !NORMAL_EVENTS.has(e.reason));
  const ev = (reasons: string[]) => {
    const hits = warnings.filter((e) => reasons.includes(e.reason));
    return hits.sort((a, b) => reasons.indexOf(a.reason) - reasons.indexOf(b.reason))[0];
  };
  const base = { pod: name };
  const conditions = arr(st['conditions']).map(obj);
  const cond = (type: string) => conditions.find((c) => c['type'] === type);
  const phase = s(st['phase']);

  // Being deleted and stuck
  if (s(md['deletionTimestamp'])) {
    const fins = arr(md['finalizers']).filter((f): f is string => typeof f === 'string');
    // deletionTimestamp is when the grace period ENDS (deletion time + deletionGracePeriodSeconds): before it, the pod is shutting down normally.
    const until = Date.parse(s(md['deletionTimestamp'])!);
    const within = Number.isFinite(until) && until > Date.now();
    const finText = fins.length ? `; finalizers: ${fins.join(', ')}` : '';
    return { ...base, kind: 'terminating', reason: 'Terminating', inGracePeriod: within,
      message: within ? `shutting down within its grace period (until ${md['deletionTimestamp']}, ${Math.round((until - Date.now()) / 1000)}s left)${finText}`
        : `its grace period ended at ${md['deletionTimestamp']}${Number.isFinite(until) ? ` (${Math.round((Date.now() - until) / 1000)}s ago)` : ''} and the pod is still there${finText}` };
  }

  // Failed pods: Evicted, OutOfcpu/OutOfmemory, NodeAffinity, Shutdown, UnexpectedAdmissionError, DeadlineExceeded...
  if (phase === 'Failed') {
    const reason = s(st['reason']) ?? 'Failed';
    if (s(st['reason']) || s(st['message'])) return { ...base, kind: reason === 'Evicted' ? 'evicted' : 'pod-failed', reason, ...(s(st['message']) ? { message: one(s(st['message'])) } : {}) };
    // No pod-level reason (the kubelet lost the pod's containers, restartPolicy Never...): the containers' terminations say why.
    const ended = [...arr(st['initContainerStatuses']), ...arr(st['containerStatuses'])].map(obj)
      .map((c) => ({ name: s(c['name']) ?? '?', t: obj(obj(c['state'])['terminated']) }))
      .filter((c) => Object.keys(c.t).length && n(c.t['exitCode']) !== 0);
    const said = ended.map((c) => `container ${c.name}: ${s(c.t['reason']) ?? 'terminated'}${n(c.t['exitCode']) !== undefined ? ` (exit ${n(c.t['exitCode'])})` : ''}${s(c.t['message']) ? ` ${one(s(c.t['message']), 300)}` : ''}`);
    return { ...base, kind: 'pod-failed', reason, message: said.length ? said.join('; ') : 'the pod failed and neither it nor its containers say why', ...(ended[0] ? { container: ended[0].name } : {}) };
  }
  if (phase === 'Unknown' || s(st['reason']) === 'NodeLost') return { ...base, kind: 'node-lost', reason: s(st['reason']) ?? 'Unknown', message: one(s(st['message'])) ?? 'the node stopped reporting the pod' };

  // Not scheduled
  const sched = cond('PodScheduled');
  if (sched && sched['status'] === 'False') {
    const reason = s(sched['reason']) ?? 'Unschedulable';
    const e = ev(['FailedScheduling']);
    const message = e?.message ?? one(s(sched['message'])) ?? '';
    if (reason === 'SchedulingGated') return { ...base, kind: 'scheduling-gated', reason, message: message || `scheduling gates: ${arr(spec['schedulingGates']).map((g) => s(obj(g)['name'])).filter(Boolean).join(', ')}` };
    return { ...base, kind: 'unschedulable', reason, message, scheduling: parseScheduling(message), ...(e ? { event: { reason: e.reason, message: e.message, count: e.count } } : {}) };
  }
  if (!s(spec['nodeName']) && (phase === 'Pending' || !phase)) {
    const e = ev(['FailedScheduling']);
    if (e) return { ...base, kind: 'unschedulable', reason: 'Unschedulable', message: e.message, scheduling: parseScheduling(e.message), event: { reason: e.reason, message: e.message, count: e.count } };
    if (!sched && !arr(spec['schedulingGates']).length && !arr(st['containerStatuses']).length && !arr(st['initContainerStatuses']).length) {
      const created = Date.parse(s(md['creationTimestamp']) ?? '');
      const age = Number.isFinite(created) ? Math.max(0, Math.round((Date.now() - created) / 1000)) : undefined;
      const schedulerName = s(spec['schedulerName']) ?? 'default-scheduler';
      return { ...base, kind: 'not-scheduled', reason: 'NotScheduled', schedulerName,
        message: `no scheduler has acted on the pod${age !== undefined ? ` in ${age}s` : ''}: no node, no PodScheduled condition, no FailedScheduling event (spec.schedulerName: ${schedulerName})` };
    }
  }

  // A liveness/startup probe failure of this container that made the kubelet restart it (Unhealthy "Liveness probe failed: ...",
  // with the Normal Killing "Container x failed liveness probe, will be restarted").
  // Without the Killing event, an Unhealthy liveness event counts only when the exit is the kubelet's kill (SIGKILL 137, SIGTERM 143).
  const probeKillOf = (cname: string, exitCode: number | undefined): PodDiagnosis['probeKill'] => {
    const killed = evs.find((e) => e.reason === 'Killing' && new RegExp(`^Container ${cname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} failed (liveness|startup) probe`, 'i').test(e.message));
    const unhealthy = warnings.filter((e) => e.reason === 'Unhealthy' && /^(Liveness|Startup) probe (failed|errored)/i.test(e.message) && (!e.fieldPath || e.fieldPath.includes(`{${cname}}`)));
    const u = unhealthy.find((e) => !killed || e.message.toLowerCase().startsWith(/failed (\w+) probe/i.exec(killed.message)![1]!.toLowerCase())) ?? unhealthy[0];
    if (!u && !killed) return undefined;
    if (!killed && exitCode !== undefined && exitCode !== 137 && exitCode !== 143) return undefined;
    const kind = /^startup/i.test(u?.message ?? '') || /failed startup probe/i.test(killed?.message ?? '') ? 'Startup' : 'Liveness';
    return { kind, message: u?.message ?? killed!.message, ...(u ? { count: u.count } : {}) };
  };
  const look = (list: unknown, init: boolean): PodDiagnosis | undefined => {
    for (const raw of arr(list)) {
      const c = obj(raw);
      const cname = s(c['name']) ?? '?';
      const state = obj(c['state']);
      const w = isObj(state['waiting']) ? state['waiting'] : undefined;
      const t = isObj(state['terminated']) ? state['terminated'] : undefined;
      const running = isObj(state['running']) ? state['running'] : undefined;
      const lastT = obj(obj(c['lastState'])['terminated']);
      const restarts = n(c['restartCount']);
      const term = (x: Record<string, any>) => ({ ...(s(x['reason']) ? { reason: s(x['reason'])! } : {}), ...(n(x['exitCode']) !== undefined ? { exitCode: n(x['exitCode'])! } : {}), ...(n(x['signal']) ? { signal: n(x['signal'])! } : {}), ...(s(x['message']) ? { message: terminationMessage(s(x['message'])).message! } : {}) });
      const lastTermination = Object.keys(lastT).length ? term(lastT) : t && n(t['exitCode']) !== 0 ? term(t) : undefined;
      const crashText = terminationMessage(s((Object.keys(lastT).length ? lastT : t ?? {})['message'])).crashText;
      const image = containerImage(spec, cname, init);
      const role = init ? INIT_CONTAINERS[cname] : undefined;
      const cbase = { ...base, container: cname, ...(init ? { init: true } : {}), ...(restarts ? { restarts } : {}), ...(lastTermination && Object.keys(lastTermination).length ? { lastTermination } : {}), ...(image ? { image } : {}), ...(role ? { initRole: role.does } : {}), ...(crashText ? { crashText } : {}) };
      const waitsFor = init && cname === 'wait-for-db' ? waitForDbTarget(arr(spec['initContainers']).find((x) => isObj(x) && x['name'] === cname)) : undefined;
      if (w) {
        const reason = s(w['reason']) ?? 'Waiting';
        const message = one(s(w['message']));
        const withMsg = message ? { message } : {};
        switch (reason) {
          case 'ImagePullBackOff': case 'ErrImagePull': case 'RegistryUnavailable': case 'ErrImageInspect': case 'ImageInspectError': case 'SignatureValidationFailed': {
            const e = ev(['Failed', 'InspectFailed', 'BackOff']);
            const text = e && /pull|image/i.test(e.message) ? e.message : message ?? '';
            return { ...cbase, kind: 'image-pull', reason, ...(text ? { message: text } : {}), imageProblem: classifyImagePull(text), ...(e ? { event: { reason: e.reason, message: e.message, count: e.count } } : {}) };
          }
          case 'InvalidImageName': return { ...cbase, kind: 'invalid-image', reason, ...withMsg };
          case 'ErrImageNeverPull': return { ...cbase, kind: 'image-never-pull', reason, ...withMsg };
          case 'CrashLoopBackOff': {
            // The runtime could not start the process (containerd StartError, docker ContainerCannotRun, exit 128):
            // it never ran, so it has no log; the kubelet backs off all the same.
            if (lastTermination && isStartFailure(lastTermination)) return { ...cbase, kind: 'create-error', reason, ...withMsg };
            const pk = !init ? probeKillOf(cname, lastTermination?.exitCode) : undefined;
            return { ...cbase, kind: 'crash-loop', reason, ...withMsg, ...(waitsFor ? { waitsFor } : {}), ...(pk ? { probeKill: pk } : {}) };
          }
          case 'CreateContainerConfigError': {
            const missing = parseMissing(message ?? '');
            return { ...cbase, kind: 'config-error', reason, ...withMsg, ...(missing ? { missing } : {}) };
          }
          case 'PreStartHookError': case 'PostStartHookError': case 'PreCreateHookError': {
            // The kubelet's FailedPostStartHook / FailedPreStopHook event quotes the hook's command and its exit code.
            const e = ev(['FailedPostStartHook', 'FailedPreStopHook']);
            return { ...cbase, kind: 'create-error', reason, ...withMsg, ...(e ? { event: { reason: e.reason, message: e.message, count: e.count } } : {}) };
          }
          case 'CreateContainerError': case 'RunContainerError': case 'ContainerCannotRun': case 'StartError':
            return { ...cbase, kind: 'create-error', reason, ...withMsg };
          case 'ContainerCreating': case 'PodInitializing': {
            const e = ev(['FailedMount', 'FailedAttachVolume', 'FailedMapVolume']);
            if (e) { const missing = parseMissing(e.message); return { ...cbase, kind: 'mount-failed', reason: e.reason, message: e.message, event: { reason: e.reason, message: e.message, count: e.count }, ...(missing ? { missing } : {}) }; }
            const sb = ev(['FailedCreatePodSandBox', 'NetworkNotReady']);
            if (sb) return { ...cbase, kind: 'sandbox-failed', reason: sb.reason, message: sb.message, event: { reason: sb.reason, message: sb.message, count: sb.count } };
            if (reason === 'PodInitializing' && !init) break; // an init container explains it
            return { ...cbase, kind: 'creating', reason, ...withMsg };
          }
          default:
            return { ...cbase, kind: 'unrecognised', reason, ...withMsg };
        }
      }
      if (t && n(t['exitCode']) !== 0 && !(init && n(t['exitCode']) === 0)) {
        const reason = s(t['reason']) ?? 'Error';
        const msg = s(t['message']) ? { message: terminationMessage(s(t['message'])).message! } : {};
        if (isStartFailure(term(t))) return { ...cbase, kind: 'create-error', reason, ...msg };
        const pk = !init ? probeKillOf(cname, n(t['exitCode'])) : undefined;
        return { ...cbase, kind: 'terminated', reason, ...msg, ...(pk ? { probeKill: pk } : {}) };
      }
      if (init && running) {
        return { ...cbase, kind: 'init-waiting', reason: 'Init:Running', message: `running since ${s(running['startedAt']) ?? '?'}`, ...(waitsFor ? { waitsFor } : {}) };
      }
      if (init && w === undefined && !t && !running) continue;
      if (!init && c['ready'] === false) {
        // A crash loop seen in its running window: the container was restarted and runs again, not ready yet (a liveness-killed
        // container spends most of each cycle here). Its last run (OOMKilled, exit 1, a liveness kill) says why, not a readiness
        // probe that fails while it starts. Only a recent end counts: one restart days ago is history, not today's cause.
        const lastEnd = Date.parse(s(lastT['finishedAt']) ?? '');
        const recentEnd = !Number.isFinite(lastEnd) || Date.now() - lastEnd < RESTART_RECENT_MS;
        if (running && restarts && lastTermination && Object.keys(lastT).length && recentEnd) {
          const pk = probeKillOf(cname, lastTermination.exitCode);
          const failedRun = pk || lastTermination.reason === 'OOMKilled' || (lastTermination.exitCode !== undefined && lastTermination.exitCode !== 0) || isStartFailure(lastTermination);
          if (failedRun) {
            const message = `running again since ${s(running['startedAt']) ?? '?'} and not ready: the kubelet restarted it after its last run ended`;
            if (isStartFailure(lastTermination)) return { ...cbase, kind: 'create-error', reason: 'Restarting', message };
            return { ...cbase, kind: 'crash-loop', reason: 'Restarting', message, ...(pk ? { probeKill: pk } : {}) };
          }
        }
        // (ProbeWarning is a probe that SUCCEEDED with a warning, e.g. a redirect: not why the container is not ready)
        const e = ev(['Unhealthy']);
        if (e) {
          const kind = /^(\w+) probe/i.exec(e.message)?.[1] ?? 'Readiness';
          return { ...cbase, kind: 'probe-failed', reason: e.reason, message: e.message, probe: { kind, message: e.message }, event: { reason: e.reason, message: e.message, count: e.count } };
        }
        if (running) return { ...cbase, kind: 'not-ready', reason: 'NotReady', message: `running since ${s(running['startedAt']) ?? '?'} but not ready` };
        return { ...cbase, kind: 'not-ready', reason: 'ContainerNotReady' };
      }
    }
    return undefined;
  };
  const d = look(st['initContainerStatuses'], true) ?? look(st['containerStatuses'], false);
  if (d) return d;

  // No container explains it: pod-level events, then conditions.
  const e = ev(EVENT_RANK);
  const ready = cond('Ready');
  if (ready && ready['status'] === 'True') return undefined;
  if (e) {
    if (e.reason === 'FailedMount' || e.reason === 'FailedAttachVolume' || e.reason === 'FailedMapVolume') { const missing = parseMissing(e.message); return { ...base, kind: 'mount-failed', reason: e.reason, message: e.message, event: e, ...(missing ? { missing } : {}) }; }
    if (e.reason === 'FailedCreatePodSandBox' || e.reason === 'NetworkNotReady') return { ...base, kind: 'sandbox-failed', reason: e.reason, message: e.message, event: e };
    if (e.reason === 'Unhealthy') return { ...base, kind: 'probe-failed', reason: e.reason, message: e.message, probe: { kind: /^(\w+) probe/i.exec(e.message)?.[1] ?? 'Readiness', message: e.message }, event: e };
    if (e.reason === 'Failed' && /pull|image/i.test(e.message)) return { ...base, kind: 'image-pull', reason: 'ErrImagePull', message: e.message, imageProblem: classifyImagePull(e.message), event: e };
  }
  // The node lifecycle controller marks the pods of a node that stopped reporting not ready and says so on each pod
  // (Warning NodeNotReady "Node is not ready"); the container statuses are the last the kubelet wrote.
  const nodeNotReady = warnings.find((x) => x.reason === 'NodeNotReady');
  if (nodeNotReady && ready && ready['status'] !== 'True') {
    const node = s(spec['nodeName']);
    return { ...base, kind: 'node-lost', reason: 'NodeNotReady', message: `${nodeNotReady.message || 'Node is not ready'}${node ? ` (node ${node})` : ''}: the node stopped reporting; the container states shown are the last its kubelet wrote`, event: nodeNotReady };
  }
  const unknownWarning = warnings.find((x) => !EVENT_RANK.includes(x.reason) && x.type === 'Warning');
  if (unknownWarning) return { ...base, kind: 'unrecognised', reason: unknownWarning.reason, message: unknownWarning.message, event: unknownWarning };
  if (ready && ready['status'] !== 'True') {
    const gates = arr(spec['readinessGates']).map((g) => s(obj(g)['conditionType'])).filter((x): x is string => !!x);
    const unmet = gates.filter((g) => cond(g)?.['status'] !== 'True');
    if (unmet.length) return { ...base, kind: 'not-ready', reason: 'ReadinessGatesNotReady', message: `readiness gate(s) not met: ${unmet.join(', ')}` };
    return { ...base, kind: 'not-ready', reason: s(ready['reason']) ?? 'NotReady', ...(s(ready['message']) ? { message: one(s(ready['message'])) } : {}) };
  }
  if (phase && phase !== 'Running' && phase !== 'Succeeded') return { ...base, kind: 'pending', reason: phase };
  if (!phase) return { ...base, kind: 'pending', reason: 'NoStatus', message: 'the pod has no status yet (no kubelet has reported it)' };
  return undefined;
}

/** The diagnosis that explains most among several pods' (undefined for pods that serve). */
export function worstDiagnosis(ds: readonly (PodDiagnosis | undefined)[]): PodDiagnosis | undefined {
  return ds.filter((d): d is PodDiagnosis => !!d).sort((a, b) => rankOf(a) - rankOf(b))[0];
}

/** Ready per the pod's Ready condition. */
export function podReady(pod: unknown): boolean {
  return arr(obj(obj(pod)['status'])['conditions']).some((c) => isObj(c) && c['type'] === 'Ready' && c['status'] === 'True');
}

/** One line for a diagnosis: "ImagePullBackOff (container flyte of pod x): Back-off pulling image ...; 4 restarts; last termination: Error, exit 1". */
export function diagnosisText(d: PodDiagnosis): string {
  const where = d.container ? ` (${d.init ? 'init container' : 'container'} ${d.container} of pod ${d.pod})` : ` (pod ${d.pod})`;
  const last = d.lastTermination;
  const lastText = last && (last.reason || last.exitCode !== undefined) ? `; last termination: ${[last.reason, last.exitCode !== undefined ? `exit ${last.exitCode}` : '', last.signal ? `signal ${last.signal}` : '', last.message].filter(Boolean).join(', ')}` : '';
  return `${d.reason}${where}${d.message ? `: ${d.message}` : ''}${d.restarts ? `; ${d.restarts} restarts` : ''}${lastText}`;
}
