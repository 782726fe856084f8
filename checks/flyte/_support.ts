// Shared by the Flyte component checks (flyte.deployments.ready, flyte.services.endpoints): read the
// pods behind a Deployment or Service with their events, and turn the diagnosis (src/flyte/pods.ts)
// into one line, a fix naming the chart's values key or the command, and the cause key other checks
// share (a down backend is cause.backend(<component>), the key the ingress uses for 502/503; a
// wait-for-db that loops is the database host, so the database check becomes the root when it also
// fails).
import { isObj, KubeError, type KubeSession } from '../../src/clients/kube.js';
import type { Chart, Target } from '../../src/config/target.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import type { FlyteComponent } from '../../src/flyte/kubernetes.js';
import { chartReads } from '../../src/flyte/chart-keys.js';
import { chartCreatedObject, podValuesKeys } from '../../src/flyte/kubernetes.js';
import { classifySandbox, classifyVolume, diagnosePod, diagnosisText, podReady, tellingLogLine, worstDiagnosis, type EventLike, type PodDiagnosis } from '../../src/flyte/pods.js';
import { withTimeout } from '../../src/engine/budget.js';
import { explainCrash, readCrashText, type CrashExplained } from '../../src/flyte/crash-text.js';
import { makeRedactor, type Redactor } from '../../src/engine/redact.js';
import { bucketKey, keyId } from '../storage/_support.js';

export interface PodLike { metadata: { name: string; deletionTimestamp?: unknown; labels?: unknown; ownerReferences?: unknown }; spec?: unknown; status?: unknown }

/** Pods matching a selector, with the events of those that do not serve (at most `maxPods` looked at). */
export async function podsWithDiagnosis(s: KubeSession, ns: string, selector: string, signal: AbortSignal, maxPods = 5): Promise<{ pods: PodLike[]; diag?: PodDiagnosis; eventsDenied?: boolean }> {
  const pods = await s.list<PodLike>(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, signal, { labelSelector: selector, maxItems: 200 });
  const live = pods.filter((p) => !p.metadata.deletionTimestamp);
  // Pods that ended (Failed: Evicted, Shutdown, OutOfmemory...; Succeeded) stay until someone deletes them and
  // are not what the ReplicaSet runs now: the current pods are looked at first, the ended ones only when no
  // current pod says why (so last week's eviction neither hides nor crowds out today's cause).
  const ended = (p: PodLike) => { const ph = isObj(p.status) ? p.status['phase'] : undefined; return ph === 'Failed' || ph === 'Succeeded'; };
  const unready = (live.length ? live : pods).filter((p) => !podReady(p));
  const candidates = [...unready.filter((p) => !ended(p)), ...unready.filter(ended)].slice(0, maxPods);
  let eventsDenied = false;
  const diags: (PodDiagnosis | undefined)[] = [];
  for (const p of candidates) {
    let events: EventLike[] = [];
    try { events = await eventsFor(s, ns, p.metadata.name, signal); } catch (e) { if (e instanceof KubeError && e.kind === 'forbidden') eventsDenied = true; else throw e; }
    diags.push(diagnosePod(p, events));
  }
  const current = diags.filter((d, i) => d && !ended(candidates[i]!));
  const diag = worstDiagnosis(current.length ? current : diags);
  if (diag && diag.container && !diag.lastTermination?.message && (diag.kind === 'crash-loop' || diag.kind === 'terminated')) {
    // The termination message is often empty (terminationMessagePolicy File): the previous log says why. Best effort, bounded
    // (80 lines: a Go panic's stack trace follows the line that says why).
    try {
      const q = new URLSearchParams({ container: diag.container, previous: 'true', tailLines: '80', limitBytes: '16384' });
      const log = await s.getText(`/api/v1/namespaces/${encodeURIComponent(ns)}/pods/${encodeURIComponent(diag.pod)}/log?${q}`, withTimeout(signal, 1500), 16384);
      const line = tellingLogLine(log);
      if (line) diag.logLine = line;
    } catch { /* no kubelet reachable, no pods/log right: the status is what we have */ }
  }
  return { pods, ...(diag ? { diag } : {}), ...(eventsDenied ? { eventsDenied } : {}) };
}

/** Events of one object (core/v1 events, field selector on the involved object's name). */
export async function eventsFor(s: KubeSession, ns: string, name: string, signal: AbortSignal): Promise<EventLike[]> {
  return s.list<EventLike>(`/api/v1/namespaces/${encodeURIComponent(ns)}/events`, signal, { fieldSelector: `involvedObject.name=${name}`, maxItems: 100 });
}

/** The database the component uses (flyte-binary and flyteadmin: the flyteadmin database; datacatalog: its own). */
function dbOf(target: Target, component: string) {
  return target.databases.find((d) => d.role === (component === 'datacatalog' ? 'datacatalog' : 'flyteadmin')) ?? target.databases[0];
}

/**
 * What the crash text of a diagnosis says (src/flyte/crash-text.ts): the fault it names, the fix and the cause key
 * the check that finds the same fault from here uses. undefined: not a crash, or text no family matches.
 */
export function crashOf(d: PodDiagnosis | undefined, comp: Pick<FlyteComponent, 'backend' | 'component'>, target: Target, k = 'kubectl', chart: Chart | undefined = target.chart): CrashExplained | undefined {
  if (!d || !(d.kind === 'crash-loop' || d.kind === 'terminated' || d.kind === 'init-waiting')) return undefined;
  const usesDb = d.init ? /migrat|seed|wait-for-db|check/.test(d.container ?? '') : ['flyte-binary', 'flyteadmin', 'datacatalog', 'flytescheduler'].includes(comp.component);
  // the telling words first (status message, termination message or its telling line, the log's telling line); the whole
  // termination message only when they name nothing (it holds earlier lines too)
  const told = [d.message, d.lastTermination?.message, d.logLine].filter(Boolean).join('\n');
  const r = (told ? readCrashText(told, target, { usesDb }) : undefined) ?? (d.crashText ? readCrashText(d.crashText, target, { usesDb }) : undefined);
  if (!r) return undefined;
  const st = target.storage;
  const named = r.family === 'db-unreachable' && !r.otherHost ? target.databases.find((x) => x.host === r.host && x.port === r.port) : undefined;
  return explainCrash(r, {
    target, chart, component: comp.component, backend: comp.backend, k,
    ...((named ?? dbOf(target, comp.component)) ? { db: (named ?? dbOf(target, comp.component))! } : {}),
    bucketKey: (inst) => bucketKey(target, inst),
    // the storage checks name the access key of the values (authType accesskey: the pods use the same keys as this machine)
    ...(st?.authType === 'accesskey' && st.accessKey ? { s3KeyId: keyId(st, undefined) } : {}),
  });
}

/** The fault a diagnosis observes, as the key other checks use for it. */
export function diagnosisCause(d: PodDiagnosis | undefined, comp: Pick<FlyteComponent, 'backend' | 'component'>, target: Target): string {
  if (d?.kind === 'not-scheduled') return cause.backend(d.schedulerName && d.schedulerName !== 'default-scheduler' ? d.schedulerName : 'kube-scheduler');
  if (d?.waitsFor && (d.kind === 'init-waiting' || d.kind === 'crash-loop' || d.kind === 'terminated')) return cause.unreachable(hostPortKey(d.waitsFor.host, d.waitsFor.port));
  return crashOf(d, comp, target)?.cause ?? cause.backend(comp.backend);
}

/** The values key of a component's pod securityContext (flyte-binary: deployment.podSecurityContext; flyte-core: <component>.securityContext). */
export const securityContextKey = (chart: Chart, valuesKey: string): string => (chart === 'flyte-binary' ? 'deployment.podSecurityContext' : `${valuesKey}.securityContext`);

const exitMeaning = (code: number | undefined): string => {
  switch (code) {
    case undefined: return '';
    case 137: return ' (137 = killed by SIGKILL: out of memory or a failed liveness probe)';
    case 139: return ' (139 = segmentation fault)';
    case 143: return ' (143 = stopped by SIGTERM)';
    case 126: return ' (126 = the command is not executable)';
    case 127: return ' (127 = the command was not found in the image)';
    case 128: return ' (128 = invalid exit argument)';
    case 255: return ' (255 = exit status out of range / fatal error)';
    case 0: return ' (0 = the process exited on its own: a server must keep running)';
    default: return code === 1 ? ' (1 = the application failed: its log says why)' : '';
  }
};

export type DiagnosisFindingId = 'imagePullFailed' | 'invalidImage' | 'configMissing' | 'volumeMountFailed' | 'containerCreateFailed' | 'sandboxFailed' | 'unschedulable'
  | 'waitingForDatabase' | 'initContainerStuck' | 'oomKilled' | 'livenessFailing' | 'initContainerFailed' | 'crashLooping' | 'containerFailed' | 'evicted' | 'podFailed' | 'nodeLost'
  | 'podTerminating' | 'readinessFailing' | 'notReady' | 'unrecognised';

export interface Explained {
  /** messageId of the finding. */
  id: DiagnosisFindingId;
  text: string;
  hint: string;
  cause: string;
}

const redactors = new WeakMap<Target, Redactor>();
/**
 * The pods' own words (termination messages, log lines, events) may quote a credential of the target (a DSN, a
 * key in an error): the finding never carries one, whatever the report's redactor does later.
 */
function redactorOf(target: Target): Redactor {
  let r = redactors.get(target);
  if (!r) { r = makeRedactor(target.secrets ?? []); redactors.set(target, r); }
  return r;
}

/** diagnosisText without a credential of the target the pods' words may quote (for checks that show it: flyte.services.endpoints). */
export function diagnosisLine(d: PodDiagnosis, target: Target): string {
  return redactorOf(target)(diagnosisText(d));
}

/** One line, the fix and the cause for a diagnosis of `comp`'s pods. */
export function explainDiagnosis(d: PodDiagnosis, comp: FlyteComponent, chart: Chart, k: string, target: Target): Explained {
  const e = explainPods(d, comp, chart, k, target);
  const r = redactorOf(target);
  return { ...e, text: r(e.text), hint: r(e.hint) };
}

function explainPods(d: PodDiagnosis, comp: FlyteComponent, chart: Chart, k: string, target: Target): Explained {
  const keys = podValuesKeys(chart, comp.valuesKey);
  const c = diagnosisCause(d, comp, target);
  const text = diagnosisText(d);
  const describe = `\`${k} describe pod ${d.pod}\``;
  const logs = `\`${k} logs ${d.pod}${d.container ? ` -c ${d.container}` : ''} --previous\``;
  const imageKey = d.container === 'wait-for-db' ? 'deployment.waitForDB.image.repository / deployment.waitForDB.image.tag' : keys.image;
  const last = d.lastTermination;
  switch (d.kind) {
    case 'image-pull': {
      const img = d.image ? ` ${d.image}` : '';
      const by: Record<string, string> = {
        auth: `the registry refuses to hand out${img} without credentials: add or fix the pull secret (\`${keys.pullSecrets}\`; \`kubectl create secret docker-registry <name> -n ${target.kubernetes.namespace} --docker-server=<registry> --docker-username=<user> --docker-password=<token>\`)`,
        'not-found': `the image${img} does not exist in the registry: fix \`${imageKey}\` (tag or repository)`,
        'auth-or-not-found': `the image${img} does not exist or needs credentials ("pull access denied"): check \`${imageKey}\` first, then the pull secret (\`${keys.pullSecrets}\`)`,
        'rate-limit': `the registry rate-limits anonymous pulls (Docker Hub: toomanyrequests): authenticate the pulls with a pull secret (\`${keys.pullSecrets}\`) or use a mirror in \`${imageKey}\``,
        network: `the nodes cannot reach the registry${img ? ` of${img}` : ''}: check the nodes' egress (NAT, proxy, firewall) and DNS; ${describe} shows the error`,
        tls: `the nodes do not trust the registry's certificate: add its CA to the container runtime of the nodes, or use a registry with a public certificate`,
        platform: `the image${img} has no variant for the nodes' CPU architecture: use a multi-arch tag in \`${imageKey}\``,
        'node-disk': `the node's disk filled up while the image${img} was unpacked (no space left on device): the image and the pull secret are not the fault; free the node's disk (\`kubectl describe node <node>\`: DiskPressure, image garbage collection) or use nodes with larger disks`,
        unknown: !d.message || /^back-?off pulling image/i.test(d.message)
          ? `${describe} shows the pull error (the status says only that the kubelet backs off); fix the image (\`${imageKey}\`) or the pull secret (\`${keys.pullSecrets}\`)`
          : `unrecognised pull error (quoted above; it names no known cause: credentials, a missing tag, a rate limit, the network, TLS, the platform, the node's disk): ${describe} shows it in full; then check the image (\`${imageKey}\`) and the pull secret (\`${keys.pullSecrets}\`)`,
      };
      return { id: 'imagePullFailed', text, hint: by[d.imageProblem ?? 'unknown']!, cause: c };
    }
    case 'invalid-image':
      return { id: 'invalidImage', text, hint: `the image reference is malformed: fix \`${imageKey}\` (registry/repository:tag, lower case, no spaces)`, cause: c };
    case 'image-never-pull':
      return { id: 'imagePullFailed', text, hint: `imagePullPolicy is Never and the image is not on the node: set the pull policy to IfNotPresent (\`${chart === 'flyte-binary' ? 'deployment.image.pullPolicy' : `${comp.valuesKey}.image.pullPolicy`}\`) or pre-load the image`, cause: c };
    case 'config-error': case 'mount-failed': {
      const m = d.missing;
      if (m) {
        const what = `${m.kind} ${m.name === '?' ? '' : `"${m.name}" `}${m.key ? `(key ${m.key}) ` : ''}`;
        const generated = chartCreatedObject({ chart, kubernetes: target.kubernetes, ...(chart === 'flyte-binary' ? { fullname: comp.deployments[0]! } : {}) }, m.name);
        if (m.name === '?') {
          // "configmap references non-existent config key: FOO": the kubelet names the key, not the object.
          return { id: d.kind === 'config-error' ? 'configMissing' : 'volumeMountFailed', text,
            hint: `an env var of the container takes key ${m.key} from a ${m.kind} (${m.kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef'}) that has no such key: \`${k} get pod ${d.pod} -o jsonpath='{..${m.kind === 'Secret' ? 'secretKeyRef' : 'configMapKeyRef'}}'\` names the ${m.kind}; add the key to it or fix the reference in the values (\`${keys.env}\`)`, cause: c };
        }
        return { id: d.kind === 'config-error' ? 'configMissing' : 'volumeMountFailed', text,
          hint: generated ? `${what}is created by the chart: \`helm upgrade\` the release (or \`helm status <release> -n ${target.kubernetes.namespace}\` to see why it is missing)`
            : `create the missing ${what}in namespace ${target.kubernetes.namespace} (\`${k} get ${m.kind.toLowerCase()} ${m.name === '?' ? '' : m.name}\`), or fix the reference in the values (\`${keys.env}\`, extra volumes)`, cause: c };
      }
      if (d.kind === 'mount-failed') {
        const v = classifyVolume(d.message ?? '');
        const vol = v.volumes ? ` (${v.volumes})` : '';
        const hint = v.problem === 'multi-attach'
          ? `a ReadWriteOnce volume${vol} is still attached to another node for another pod (an old replica during a rolling update): wait for the old pod to go, or delete it (\`${k} get pods -o wide\`); with an RWO volume the Deployment needs strategy Recreate`
          : v.problem === 'csi-driver-missing' ? `the CSI driver the volume${vol} needs is not running on the node: install or fix the driver (\`kubectl get csidrivers\`, its node pods in kube-system)`
            : v.problem === 'attach-denied' ? `the cloud refused to attach the volume${vol} (the CSI controller's IAM role/permissions): ${describe}; fix the driver's cloud credentials`
              : v.problem === 'timeout' ? `the volume${vol} was not attached/mounted in time: \`${k} get pvc\` (unbound?), \`kubectl get volumeattachments\` and the CSI driver's logs say why; ${describe}`
                : `unrecognised volume error: ${describe} shows it in full; \`${k} get pvc\` shows unbound claims`;
        return { id: 'volumeMountFailed', text, hint, cause: c };
      }
      if (/runAsNonRoot and image will run as root|runAsNonRoot and image has non-numeric user/i.test(d.message ?? '')) {
        return { id: 'configMissing', text, hint: `the pod's securityContext sets runAsNonRoot but the image runs as root (or as a user name, not a number): set a numeric runAsUser (e.g. 1000) in \`${securityContextKey(chart, comp.valuesKey)}\` (or the container securityContext)`, cause: c };
      }
      return { id: 'configMissing', text, hint: `${describe} shows which reference is wrong (a Secret, a ConfigMap, a key, or runAsNonRoot with a root image)`, cause: c };
    }
    case 'create-error': {
      const cmdKey = chart === 'flyte-binary' ? 'deployment.command / deployment.args' : `${comp.valuesKey}.command`;
      const said = [d.message, last?.message].filter(Boolean).join(' ');
      const notFound = /executable file not found|no such file or directory|not found in \$PATH/i.exec(said);
      const denied = /permission denied/i.test(said);
      if (/HookError$/.test(d.reason)) {
        const hookText = d.event ? `${d.event.reason}: ${d.event.message}` : '';
        return { id: 'containerCreateFailed', text: `${text}${hookText ? `; ${hookText}` : ''}`,
          hint: `the container's ${/PostStart/.test(d.reason) ? 'postStart' : /PreStart|PreCreate/.test(d.reason) ? 'pre-start' : 'lifecycle'} hook fails, and the kubelet kills a container whose hook fails: the process itself may be fine; fix or remove the hook (spec.containers[].lifecycle in the pod template, from the values or a post-renderer that adds it: \`${k} get deployment -o jsonpath='{..lifecycle}'\`)${hookText ? '' : `; ${describe} shows the hook's error`}`, cause: c };
      }
      return { id: 'containerCreateFailed', text, hint: notFound
        ? `the runtime could not start the process because the command is not in the image (the process never ran, so there is no log): fix \`${cmdKey}\` or the image (\`${imageKey}\`)`
        : denied ? `the runtime could not start the process (permission denied): the command is not executable for the container's user; check \`${cmdKey}\`, the image and the securityContext (\`${securityContextKey(chart, comp.valuesKey)}\`)`
          : `the runtime could not create or start the container: ${describe}; a wrong command/args (\`${cmdKey}\`), a missing executable or a bad securityContext are the usual causes`, cause: c };
    }
    case 'sandbox-failed': {
      const p = classifySandbox(d.message ?? '');
      const hint = p === 'ip-exhausted'
        ? 'the pod network has no free IP address for the pod (the subnet or the node\'s IP pool is exhausted; AWS VPC CNI: the node\'s ENI/IP limit or the subnet): free or add addresses (larger subnet, prefix delegation, fewer pods per node) or add nodes in another subnet; the CNI pods in kube-system log it'
        : p === 'runtime-handler' ? `the pod asks for a RuntimeClass whose handler the node's container runtime does not have: fix the runtimeClassName (\`${keys.scheduling}\`) or configure the runtime on the nodes (\`kubectl get runtimeclass\`)`
          : p === 'pause-image' ? 'the node cannot pull its sandbox (pause) image: the node\'s registry access (egress, mirror, the runtime\'s sandbox_image setting) is the fault, not the pod'
            : p === 'cni' ? `the node could not set up the pod's network (CNI): check the network plugin pods on that node (\`kubectl get pods -n kube-system -o wide\`) and ${describe}`
              : `unrecognised sandbox error (not a CNI message): ${describe} and the node's container runtime log say why`;
      return { id: 'sandboxFailed', text, hint, cause: c };
    }
    case 'unschedulable': {
      const sc = d.scheduling;
      const parts: string[] = [];
      if (sc?.insufficient.length) parts.push(`not enough free ${sc.insufficient.join(' and ')} on any node: add nodes (or let the autoscaler) or lower \`${keys.resources}.requests\``);
      if (sc?.noNodes) parts.push('the scheduler sees no nodes at all: `kubectl get nodes` (none registered, or every node deleted; the node group / autoscaler has 0 nodes)');
      if (sc?.taints.length) parts.push(`node taints the pod does not tolerate (${sc.taints.join('; ')}): add tolerations via \`${keys.scheduling}\` or remove the taint`);
      for (const t of sc?.conditionTaints ?? []) {
        const cond = t.replace(/^.*\//, '');
        parts.push(cond === 'not-ready' || cond === 'unreachable'
          ? `node(s) are NotReady/unreachable (taint ${t}, set by the node controller): the node is the fault, not the pod; \`kubectl get nodes\` and \`kubectl describe node <node>\` (kubelet, container runtime, CNI)`
          : cond === 'disk-pressure' ? `node(s) report disk-pressure (taint ${t}): free disk on the node (images, logs, emptyDir) or add nodes; \`kubectl describe node <node>\``
            : cond === 'memory-pressure' || cond === 'pid-pressure' ? `node(s) report ${cond} (taint ${t}): the node is overloaded; \`kubectl describe node <node>\`, add nodes or move load`
              : cond === 'network-unavailable' ? `node(s) have no pod network yet (taint ${t}): the CNI plugin has not configured them; check its pods in kube-system`
                : `node(s) carry the taint ${t} set by the node or cloud controller (${cond}): \`kubectl describe node <node>\` says why; tolerating it is not the fix`);
      }
      if (sc?.affinity) parts.push(`no node matches the pod's nodeSelector/affinity: fix \`${keys.scheduling}\` or label a node`);
      if (sc?.antiAffinity) parts.push(`the pod's anti-affinity rules (or those of pods already on the nodes) leave no node: there are fewer eligible nodes than replicas; relax the required anti-affinity in \`${keys.scheduling}\` (preferredDuringScheduling) or add nodes`);
      if (sc?.podAffinity) parts.push(`no node runs the pods the pod's affinity requires next to it: fix the pod affinity in \`${keys.scheduling}\``);
      if (sc?.topologySpread) parts.push(`the pod's topology spread constraints cannot be met by the nodes (zones/hosts) there are: relax them (whenUnsatisfiable: ScheduleAnyway, maxSkew) in \`${keys.scheduling}\` or add nodes in the missing zone`);
      if (sc?.volumeLimits) parts.push('the nodes have reached their limit of attachable volumes (CSI/cloud per-node limit): add nodes or use larger instance types');
      if (sc?.pvc) parts.push('a PersistentVolumeClaim of the pod is not bound: check its StorageClass and provisioner (`kubectl get pvc`)');
      if (sc?.storageCapacity) parts.push(`no node has enough free storage for the pod's volume (the StorageClass provisions node-local or capacity-tracked volumes): free storage on the nodes, add nodes, or ask for a smaller volume (\`kubectl get csistoragecapacities -A\`)`);
      if (sc?.pvcDeleting) parts.push(`the PersistentVolumeClaim ${sc.pvcDeleting} is being deleted (deletionTimestamp set; the pvc-protection finalizer keeps it while a pod uses it): the pod cannot use it; recreate it once it is gone (\`${k} get pvc ${sc.pvcDeleting}\`) or point the pod at another claim`);
      if (sc?.volumeAffinity) parts.push('the pod\'s volume is in another zone than the free nodes');
      if (sc?.unschedulableNodes) parts.push('nodes are cordoned: `kubectl uncordon <node>`');
      if (sc?.tooManyPods) parts.push('nodes are at their pod limit: add nodes');
      if (sc?.ports) parts.push('the pod asks for a host port already in use');
      if (sc?.unrecognised.length) parts.push(`unrecognised scheduler reason: ${sc.unrecognised.map((x) => JSON.stringify(x)).join(', ')} (${describe} shows the FailedScheduling event in full)`);
      return { id: 'unschedulable', text, hint: parts.length ? parts.join('; ') : `${describe} shows the FailedScheduling event`, cause: c };
    }
    case 'init-waiting': case 'crash-loop': case 'terminated': {
      if (d.waitsFor) {
        const db = dbOf(target, comp.component);
        const differs = db && (db.host.toLowerCase() !== d.waitsFor.host.toLowerCase() || db.port !== d.waitsFor.port);
        return { id: 'waitingForDatabase', text: `${text}; it waits for the database ${d.waitsFor.host}:${d.waitsFor.port}${d.waitsFor.user ? ` (user ${d.waitsFor.user})` : ''}, which does not answer from the pod`,
          hint: `the pods cannot reach PostgreSQL at ${d.waitsFor.host}:${d.waitsFor.port} (wait-for-db loops on pg_isready): ${differs ? `the installed release waits for ${d.waitsFor.host}:${d.waitsFor.port} but the values say ${db!.host}:${db!.port}: \`helm upgrade\` with the values, or fix ${db!.valuesKey}.host / port` : `check ${db?.valuesKey ?? 'configuration.database'}.host / port and the network path from the pods (security group, NetworkPolicy, in-cluster DNS; database.postgres.connect checks it from this machine)`}`, cause: c };
      }
      if (d.kind === 'init-waiting') {
        return { id: 'initContainerStuck', text: `${text}${d.initRole ? ` (it ${d.initRole})` : ''}`, hint: `\`${k} logs ${d.pod} -c ${d.container}\` shows what it waits for`, cause: c };
      }
      const oom = d.reason === 'OOMKilled' || last?.reason === 'OOMKilled';
      if (oom) return { id: 'oomKilled', text, hint: `the container ran out of memory: raise \`${keys.resources}.limits.memory\` (and requests); ${logs} shows what it did last`, cause: c };
      const exit = last?.exitCode;
      if (d.init && (exit === 126 || exit === 127)) {
        return { id: 'initContainerFailed', text: `${text}${d.initRole ? ` (it ${d.initRole})` : ''}${exitMeaning(exit)}`,
          hint: `the init container's command is not in its image: check the image (${d.container === 'wait-for-db' ? '`deployment.waitForDB.image.repository / deployment.waitForDB.image.tag`' : `\`${imageKey}\``}) and its command; ${logs}`, cause: c };
      }
      const crash = crashOf(d, comp, target, k, chart);
      if (d.init) {
        return { id: 'initContainerFailed', text: `${text}${d.initRole ? ` (it ${d.initRole})` : ''}${exitMeaning(exit)}${crash ? `; read as: ${crash.said}` : ''}`,
          hint: crash?.hint ?? `${logs} shows why it fails${d.initRole && /database/.test(d.initRole) ? ' (database host, password and privileges are the usual causes)' : d.initRole && /Secret/.test(d.initRole) ? ' (RBAC on secrets is the usual cause)' : ''}`, cause: c };
      }
      if (crash) return { id: d.kind === 'crash-loop' ? 'crashLooping' : 'containerFailed', text: `${text}${d.logLine ? `; log: ${d.logLine}` : ''}; read as: ${crash.said}`, hint: crash.hint, cause: c };
      if (d.probeKill && !d.init) {
        const pk = d.probeKill;
        const probeKey = keys.probe.replace('readinessProbe', pk.kind === 'Liveness' ? 'livenessProbe' : 'startupProbe');
        const settable = chartReads(chart, probeKey);
        return { id: 'livenessFailing', text: `${text}; the kubelet restarts it because its ${pk.kind.toLowerCase()} probe fails: ${pk.message}${pk.count && pk.count > 1 ? ` (${pk.count} times)` : ''}`,
          hint: `the container is killed by its ${pk.kind.toLowerCase()} probe, not by a crash of its own: ${logs.replace(' --previous', '')} shows why the health endpoint does not answer in time (database, storage, a slow start); if it only needs longer, raise ${settable ? `\`${probeKey}\`` : `the ${pk.kind.toLowerCase()} probe of the chart's template (no values key for it in ${chart}; \`${k} edit deployment\` is overwritten by the next helm upgrade)`} initialDelaySeconds / timeoutSeconds / failureThreshold`, cause: c };
      }
      if (last?.reason === 'Completed' || exit === 0) return { id: 'crashLooping', text: `${text}${exitMeaning(0)}`, hint: `the container exits right after starting: its command/args are wrong (\`${chart === 'flyte-binary' ? 'deployment.command / deployment.args' : `${comp.valuesKey}.command`}\`); ${logs}`, cause: c };
      if (exit === 137 || exit === 143) {
        // Killed by a signal, with no OOMKilled reason and no probe failure in the events: not the application's own exit.
        return { id: d.kind === 'crash-loop' ? 'crashLooping' : 'containerFailed', text: `${text}${exitMeaning(exit)}${d.logLine ? `; log: ${d.logLine}` : ''}`,
          hint: exit === 137
            ? `the process was killed with SIGKILL, and neither the status (no OOMKilled) nor the events (no liveness/startup probe failure) say by what: a process inside the container hit the memory limit, the node ran out of memory (\`kubectl describe node <node>\`: SystemOOM events, MemoryPressure), or it ignored SIGTERM for the whole grace period; check \`${keys.resources}.limits.memory\` against its use and ${logs}`
            : `the process was stopped with SIGTERM and exited, and the events name no probe failure: something stops it (a liveness/startup probe whose events have expired, a drain or a sidecar/controller killing it); \`${k} get events --field-selector involvedObject.name=${d.pod}\` and ${logs}`, cause: c };
      }
      return { id: d.kind === 'crash-loop' ? 'crashLooping' : 'containerFailed', text: `${text}${exitMeaning(exit)}${d.logLine ? `; log: ${d.logLine}` : ''}`, hint: `${logs} shows why it exits (the database, storage or auth configuration is the usual cause)${exit === 127 || exit === 126 ? `; check \`${chart === 'flyte-binary' ? 'deployment.command' : `${comp.valuesKey}.command`}\` and the image` : ''}`, cause: c };
    }
    case 'evicted': {
      const msg = d.message ?? '';
      // The kubelet evicts for the pod's OWN limits too (ephemeral-storage limit, an emptyDir sizeLimit): no node pressure, and a
      // request does not help; the limit (or writing to a volume) does.
      const emptyDir = /Usage of EmptyDir volume "([^"]+)" exceeds the limit "([^"]+)"/i.exec(msg);
      const ownLimit = /ephemeral local storage usage exceeds the total limit|exceeded its local ephemeral storage limit "([^"]+)"/i.exec(msg);
      if (emptyDir) return { id: 'evicted', text, hint: `the pod wrote more into its emptyDir volume "${emptyDir[1]}" than its sizeLimit ${emptyDir[2]} (its own limit, not node pressure): raise the volume's sizeLimit or write less there; delete the evicted pod once fixed`, cause: c };
      if (ownLimit) return { id: 'evicted', text, hint: `the pod used more local disk (logs, the container's writable layer, emptyDir) than its own ephemeral-storage limit (not node pressure): raise \`${keys.resources}.limits.ephemeral-storage\` or write to a volume; delete the evicted pod once fixed`, cause: c };
      const res = /low on resource: ([\w-]+)/i.exec(msg)?.[1];
      const using = /Container ([\w.-]+) was using (\S+?), request is (\S+?),/i.exec(msg);
      if (res && using) return { id: 'evicted', text, hint: `the node ran short of ${res} and evicted the pod first because container ${using[1]} used ${using[2]} of ${res} while requesting ${using[3]}: set \`${keys.resources}.requests.${res}\` to about ${using[2]} so the scheduler places it where it fits and the kubelet evicts it last; \`kubectl describe node\` shows the node's pressure; delete the evicted pod once fixed`, cause: c };
      return { id: 'evicted', text, hint: `the node ran out of a resource and evicted the pod: set \`${keys.resources}\` requests so it is scheduled where it fits (pods without requests are evicted first), and free the node (\`kubectl describe node\`); delete the evicted pod once fixed`, cause: c };
    }
    case 'pod-failed':
      if (/ContainerStatusUnknown/.test(d.message ?? '')) return { id: 'podFailed', text, hint: `the kubelet lost track of the container (ContainerStatusUnknown): its node restarted, was replaced or lost its container runtime state; \`kubectl get nodes\` and \`kubectl describe node <node>\`; delete the failed pod (\`${k} delete pod ${d.pod}\`) so the Deployment makes a new one`, cause: c };
      return { id: 'podFailed', text, hint: podFailedHint(d, keys, describe, k), cause: c };
    case 'node-lost':
      return { id: 'nodeLost', text, hint: `the node of the pod stopped reporting (kubelet down, node powered off or cut off from the API server): \`kubectl get nodes\`${/\(node ([^)\s]+)\)/.exec(d.message ?? '') ? ` and \`kubectl describe node ${/\(node ([^)\s]+)\)/.exec(d.message ?? '')![1]}\`` : ''}; the pod is replaced on another node after the eviction timeout (tolerationSeconds for node.kubernetes.io/unreachable, 300 s by default) or once the node is removed`, cause: c };
    case 'terminating':
      if (d.inGracePeriod) return { id: 'podTerminating', text, hint: `the pod is being deleted (a rollout, scale-down, drain or helm uninstall) and still within its grace period: run again once it is over; nothing to force yet (only if it outlives the grace period: \`${k} delete pod ${d.pod} --grace-period=0 --force\`)`, cause: c };
      return { id: 'podTerminating', text, hint: `the pod does not finish terminating: if its node is gone, \`${k} delete pod ${d.pod} --grace-period=0 --force\`; finalizers on it need their controller`, cause: c };
    case 'probe-failed': {
      // The probe the event names (Readiness, Liveness, Startup): its own values key, and the knob that gives it more time.
      const kind = (d.probe?.kind ?? 'Readiness').toLowerCase();
      const probeKey = kind === 'liveness' || kind === 'startup' ? keys.probe.replace('readinessProbe', `${kind}Probe`) : keys.probe;
      const settable = chartReads(chart, probeKey);
      const knob = kind === 'startup' ? 'failureThreshold' : 'initialDelaySeconds';
      const where = settable ? `\`${probeKey}.${knob}\`${kind === 'startup' ? ' (× periodSeconds is the time it gets)' : ''}` : `${knob} of the ${kind} probe in the chart's template (no values key for it in ${chart}; \`${k} edit deployment\` is overwritten by the next helm upgrade)`;
      const then = kind === 'liveness' ? '; the kubelet restarts the container when it keeps failing' : kind === 'startup' ? '; the kubelet restarts the container when it does not pass in time' : '';
      return { id: 'readinessFailing', text, hint: `the container runs but its ${kind} probe fails${then}: ${logs.replace(' --previous', '')} shows why the health endpoint does not answer (database, storage); if it only needs longer to start, raise ${where}`, cause: c };
    }
    case 'not-scheduled': {
      const custom = d.schedulerName && d.schedulerName !== 'default-scheduler';
      return { id: 'unschedulable', text, hint: custom
        ? `the pod names the scheduler "${d.schedulerName}" (spec.schedulerName) and nothing acts on it: is that scheduler running (\`kubectl get pods -A | grep ${d.schedulerName}\`)? If not, remove schedulerName from the values (\`${keys.scheduling}\`)`
        : 'no scheduler acts on the pod: kube-scheduler is not running or cannot reach the API server (`kubectl get pods -n kube-system -l component=kube-scheduler`, `kubectl get events -A --field-selector reason=FailedScheduling`); on a managed cluster this is the provider\'s control plane', cause: c };
    }
    case 'scheduling-gated':
      return { id: 'notReady', text, hint: `the pod waits for its scheduling gates to be removed by the controller that set them: ${describe}`, cause: c };
    case 'not-ready': case 'creating': case 'pending':
      return { id: 'notReady', text, hint: `${describe} and \`${k} get events --field-selector involvedObject.name=${d.pod}\` show what it waits for`, cause: c };
    default:
      return { id: 'unrecognised', text: `unrecognised: ${d.reason}${d.message ? ` ${d.message}` : ''} (pod ${d.pod}${d.container ? `, container ${d.container}` : ''})`, hint: `${describe} shows the full state and events`, cause: c };
  }
}

/**
 * A pod the kubelet failed as a whole (status.reason): its admission on the node (lifecycle/predicate.go, the
 * resource managers), a graceful node shutdown (nodeshutdown), activeDeadlineSeconds (DeadlineExceeded).
 */
function podFailedHint(d: PodDiagnosis, keys: ReturnType<typeof podValuesKeys>, describe: string, k: string): string {
  const del = `delete the failed pod (\`${k} delete pod ${d.pod}\`) so the Deployment makes a new one`;
  const r = d.reason, msg = d.message ?? '';
  if (/^OutOf/.test(r)) return `the node had no room when the pod started (${r}): lower \`${keys.resources}.requests\` or add nodes; delete the failed pod`;
  if (r === 'NodeAffinity' || r === 'NodeSelector' || /Predicate (NodeAffinity|NodeSelector) failed/i.test(msg)) {
    return `the kubelet refused the pod because its node no longer matches the pod's node selector or affinity (${r}: the node's labels changed after scheduling, or the pod was bound to a node directly): check \`${keys.scheduling}\` against \`kubectl get nodes --show-labels\`; ${del}`;
  }
  if (r === 'UnexpectedAdmissionError') return `the node's kubelet could not admit the pod (UnexpectedAdmissionError: ${msg || 'a device plugin could not allocate what the pod asks for'}): a device plugin (GPU, SR-IOV) restarted or lost its devices; \`kubectl describe node <node>\` shows its allocatable devices; ${del}`;
  if (r === 'TopologyAffinityError' || r === 'SMTAlignmentError') return `the node's ${r === 'TopologyAffinityError' ? 'Topology Manager' : 'CPU Manager'} policy cannot place the pod's CPUs/devices as required (${r}): lower \`${keys.resources}\` to fit one NUMA node / whole cores, or schedule it on other nodes (\`${keys.scheduling}\`); ${del}`;
  if (r === 'Shutdown' || r === 'Terminated' || r === 'NodeShutdown' || /node shutdown/i.test(msg)) return `the pod was stopped because its node shut down (graceful node shutdown): it is not the component's fault; the Deployment makes a new pod elsewhere; \`kubectl get nodes\` shows whether the node came back; ${del} (it stays listed as Failed until deleted)`;
  if (r === 'DeadlineExceeded') return `the pod ran longer than its activeDeadlineSeconds (DeadlineExceeded): a long-running server must not set it: remove activeDeadlineSeconds from the pod template; ${del}`;
  if (r === 'Preempting' || r === 'Preempted' || /preempt/i.test(msg)) return `the pod was preempted by one of higher priority (${r}): give the Flyte components a PriorityClass (\`priorityClassName\`) or more room; ${del}`;
  return `${describe} shows why the pod failed (${r}); ${del}`;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Whether a Deployment is rolled out and available (the way `kubectl rollout status` decides). */
export function deploymentReady(d: { metadata: { generation?: unknown }; spec?: unknown; status?: unknown }): boolean {
  const spec = isObj(d.spec) ? d.spec : {};
  const st = isObj(d.status) ? d.status : {};
  const want = num(spec['replicas']) ?? 1;
  const fresh = (num(st['observedGeneration']) ?? 0) >= (num(d.metadata.generation) ?? 0);
  // DeploymentStatus fields are `omitempty`: a controller that has observed the spec and writes no updatedReplicas means 0 pods
  // run the latest spec (a paused rollout, a new ReplicaSet that cannot create pods while the old one serves), not "all of them".
  return want > 0 && fresh && (num(st['availableReplicas']) ?? 0) >= want && (num(st['updatedReplicas']) ?? 0) >= want;
}

/** `isObj` for check code that reads raw API objects. */
export { isObj };
