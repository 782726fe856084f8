import { isObj, KubeError, kubectl, selectorString, type KubeSession } from '../../src/clients/kube.js';
import type { Chart, Target } from '../../src/config/target.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json } from '../../src/engine/types.js';
import { flyteComponents, podValuesKeys, resolveChartNames, type FlyteComponent } from '../../src/flyte/kubernetes.js';
import type { ComponentSetting } from '../../src/config/target.js';
import type { PodDiagnosis } from '../../src/flyte/pods.js';
import { API_MESSAGES, withKube } from '../kubernetes/_support.js';
import { deploymentReady, eventsFor, explainDiagnosis, podsWithDiagnosis, securityContextKey, type DiagnosisFindingId } from './_support.js';

export interface DeploymentLike { metadata: { name: string; generation?: unknown }; spec?: unknown; status?: unknown }

export interface Unready { deployment: string; component: string; valuesKey: string; reason: string; id: DiagnosisFindingId | 'scaledToZero' | 'podCreationFailed' | 'rolloutStuck' | 'rolloutPending' | 'noPods' | 'rolloutPaused' | 'rolloutPausedUnavailable' | 'podsUnreadable'; text: string; hint: string; cause: string; pod?: string; container?: string }

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const conditionsOf = (d: DeploymentLike): Record<string, any>[] => (isObj(d.status) && Array.isArray(d.status['conditions']) ? d.status['conditions'].filter(isObj) : []);

export { deploymentReady };

/** Why a Deployment is not available: its pods' diagnosis first, then its own conditions. */
export function explainUnready(c: FlyteComponent, d: DeploymentLike, diag: PodDiagnosis | undefined, podCount: number, chart: Chart, k: string, target: Target, rsEvent?: string, podsDenied?: string): Unready {
  const spec = isObj(d.spec) ? d.spec : {};
  const st = isObj(d.status) ? d.status : {};
  const want = num(spec['replicas']) ?? 1;
  const name = d.metadata.name;
  const base = { deployment: name, component: c.component, valuesKey: c.valuesKey };
  const keys = podValuesKeys(chart, c.valuesKey);
  const backend = cause.backend(c.backend);
  const conds = conditionsOf(d);
  const progressing = conds.find((x) => x['type'] === 'Progressing' && x['status'] === 'False');
  const replicaFailure = conds.find((x) => x['type'] === 'ReplicaFailure' && x['status'] === 'True');
  const condText = (x: Record<string, any>) => `${typeof x['reason'] === 'string' ? x['reason'] : x['type']}${typeof x['message'] === 'string' ? `: ${x['message']}` : ''}`;
  if (want === 0) {
    return { ...base, reason: 'ScaledToZero', id: 'scaledToZero', text: `${name}: scaled to 0 replicas`, cause: backend,
      hint: `\`${k} scale deployment ${name} --replicas=1\`${chart === 'flyte-core' ? ` (and set \`${keys.replicas}\` so helm keeps it)` : ''}; something scaled it down (an autoscaler, a manual scale, a cost policy)` };
  }
  // A rollout that does not progress while the previous ReplicaSet's pods still serve: Flyte runs, the latest values do not.
  const availNow = num(st['availableReplicas']) ?? 0;
  const oldServes = availNow >= want && (num(st['updatedReplicas']) ?? 0) < want ? `; the previous version still serves (${availNow}/${want} available, ${num(st['updatedReplicas']) ?? 0}/${want} on the latest spec)` : '';
  const stuck = progressing && progressing['reason'] === 'ProgressDeadlineExceeded' ? `; rollout stuck (ProgressDeadlineExceeded: ${typeof progressing['message'] === 'string' ? progressing['message'] : 'no progress'})` : '';
  if (diag) {
    const e = explainDiagnosis(diag, c, chart, k, target);
    return { ...base, reason: diag.reason, id: e.id, text: `${name}: ${e.text}${stuck}${oldServes}`, hint: e.hint, cause: e.cause, pod: diag.pod, ...(diag.container ? { container: diag.container } : {}) };
  }
  if (replicaFailure || rsEvent) {
    const msg = replicaFailure ? condText(replicaFailure) : rsEvent!;
    const quota = /exceeded quota|forbidden: exceeded/i.test(msg);
    const sa = /serviceaccount "([^"]+)" not found/i.exec(msg);
    const psa = /violates PodSecurity|pod security/i.test(msg);
    const webhook = /admission webhook "([^"]+)" denied/i.exec(msg);
    // A webhook that cannot be called (down, no endpoints, TLS) with failurePolicy Fail blocks every pod it matches.
    const webhookDown = /failed calling webhook "([^"]+)": ?(.*)$/i.exec(msg);
    const quotaSpec = /failed quota: ([\w.-]+): must specify ([\w.,\s-]+?)(?: for: ([\w,.-]+))?$/i.exec(msg);
    const limitRange = /(maximum|minimum) (\S+) usage per (Container|Pod) is (\S+), but (limit|request) is (\S+)/i.exec(msg) ?? /(\S+) max limit to request ratio per (Container|Pod) is/i.exec(msg);
    if (webhookDown) {
      const w = webhookCallFailure(webhookDown[1]!, webhookDown[2]!);
      return { ...base, reason: 'FailedCreate', id: 'podCreationFailed', text: `${name}: its pods cannot be created: ${msg}${stuck}`, cause: w.cause ?? cause.object('admissionwebhook', undefined, webhookDown[1]!), hint: w.hint };
    }
    // Admission refusals that name an object other than the pod's resources: a PriorityClass or RuntimeClass that does not
    // exist, the namespace being deleted, a LimitRange default limit below the pod's request, OpenShift's SCCs.
    const priority = /no PriorityClass with name (\S+) was found/i.exec(msg);
    const runtimeClass = /RuntimeClass "([^"]+)" not found/i.exec(msg);
    const terminating = /unable to create new content in namespace (\S+) because it is being terminated/i.exec(msg);
    const overDefault = /(spec\.(?:initC|c)ontainers\[\d+\])\.resources\.requests: Invalid value: "([^"]+)": must be less than or equal to ([\w.-]+) limit of (\S+)/i.exec(msg);
    const quotaExceeded = /exceeded quota: ([\w.-]+), requested: ([^,]+(?:,[^,:]+=[^,]+)*), used: ([^,]+(?:,[^,:]+=[^,]+)*), limited: (.+)$/i.exec(msg);
    const scc = /unable to validate against any security context constraint/i.test(msg);
    if (terminating) {
      return { ...base, reason: 'FailedCreate', id: 'podCreationFailed', text: `${name}: its pods cannot be created: ${msg}${stuck}${oldServes}`, cause: cause.object('namespace', undefined, terminating[1]!),
        hint: `namespace ${terminating[1]} is being deleted (someone ran \`kubectl delete namespace\` or \`helm uninstall\` with a namespace template) and the API server refuses every new object in it: kubernetes.namespace.exists names what keeps it Terminating (\`kubectl get namespace ${terminating[1]} -o jsonpath='{.status.conditions}'\`); once it is gone, reinstall, or install into another namespace` };
    }
    const priorityKey = chart === 'flyte-binary' ? 'deployment.extraPodSpec.priorityClassName' : `${c.valuesKey}.priorityClassName`;
    const hint = priority ? `the pods ask for priorityClassName ${priority[1]}, and no PriorityClass of that name exists in the cluster: create it (\`kubectl get priorityclasses\` lists those that exist) or set \`${priorityKey}\` to one of them (or remove it)`
      : runtimeClass ? `the pods ask for runtimeClassName ${runtimeClass[1]}, and no RuntimeClass of that name exists (\`kubectl get runtimeclasses\`): install the runtime's RuntimeClass (e.g. the GPU operator's "nvidia") or remove runtimeClassName from the pod template (\`${chart === 'flyte-binary' ? 'deployment.extraPodSpec' : `${c.valuesKey}`}\`)`
        : overDefault ? `${overDefault[1]} requests ${overDefault[3]} ${overDefault[2]} but sets no ${overDefault[3]} limit of its own, and the LimitRange of ${target.kubernetes.namespace} gives it the default limit ${overDefault[4]}, below the request: set \`${keys.resources}.limits.${overDefault[3]}\` to at least ${overDefault[2]}, or raise the LimitRange's default (\`${k} describe limitrange\`)`
          : quotaSpec ? `the ResourceQuota ${quotaSpec[1]} in ${target.kubernetes.namespace} requires every container to declare ${quotaSpec[2]!.trim()}${quotaSpec[3] ? ` (missing in: ${quotaSpec[3]})` : ''}: set them in \`${keys.resources}\` (requests and limits); \`${k} describe resourcequota ${quotaSpec[1]}\``
      : limitRange && limitRange.length > 4 ? `a LimitRange in ${target.kubernetes.namespace} allows a ${limitRange[1]!.toLowerCase()} ${limitRange[2]} ${limitRange[5]} of ${limitRange[4]} per ${limitRange[3]} and the pod asks for ${limitRange[6]}: set \`${keys.resources}.${limitRange[5]!.toLowerCase() === 'limit' ? 'limits' : 'requests'}.${limitRange[2]}\` within it, or change the LimitRange (\`${k} describe limitrange\`)`
        : limitRange ? `a LimitRange in ${target.kubernetes.namespace} bounds the limit/request ratio of ${limitRange[1]}: bring \`${keys.resources}\` limits and requests closer (\`${k} describe limitrange\`)`
          : quotaExceeded ? quotaExceededHint(quotaExceeded, target.kubernetes.namespace, keys.resources, k)
            : quota ? `a ResourceQuota in ${target.kubernetes.namespace} forbids the pods: \`${k} describe resourcequota\`; raise the quota or lower \`${keys.resources}\``
      : sa ? `the ServiceAccount ${sa[1]} does not exist: set \`serviceAccount.create: true\`${chart === 'flyte-core' ? ` (\`${c.valuesKey}.serviceAccount.create\`)` : ''} or create it (\`${k} create serviceaccount ${sa[1]}\`)`
        : psa ? `the namespace's Pod Security level rejects the pod: set the pod securityContext (\`${securityContextKey(chart, c.valuesKey)}\`) or the namespace's pod-security labels`
          : scc ? `OpenShift admits the pod under no SecurityContextConstraints its ServiceAccount may use (the pod asks for a user, group, fsGroup or capability outside them): remove runAsUser/fsGroup from \`${securityContextKey(chart, c.valuesKey)}\` so OpenShift assigns them, or grant an SCC (\`oc adm policy add-scc-to-user nonroot-v2 -z <serviceaccount> -n ${target.kubernetes.namespace}\`)`
            : webhook ? `the admission webhook ${webhook[1]} denies the pod: its policy says why (${msg.slice(0, 120)})`
              : `unrecognised admission refusal (quoted above): \`${k} describe replicaset -l ${selectorString(spec['selector'])}\` shows it in full with the ReplicaSet's events`;
    return { ...base, reason: 'FailedCreate', id: 'podCreationFailed', text: `${name}: its pods cannot be created: ${msg}${stuck}${oldServes}`, hint, cause: backend };
  }
  if (spec['paused'] === true) {
    // `kubectl rollout pause`: the controller rolls nothing out (and checks no progress deadline) until resumed; the pods of
    // the previous spec keep running, so the latest values are not what runs.
    const avail = num(st['availableReplicas']) ?? 0, updated = num(st['updatedReplicas']) ?? 0;
    const serving = avail >= want;
    return { ...base, reason: 'DeploymentPaused', id: serving ? 'rolloutPaused' : 'rolloutPausedUnavailable',
      text: `${name}: the Deployment is paused (spec.paused: true): ${updated}/${want} replicas run its latest spec${serving ? `, ${avail}/${want} of the previous version still serve` : `, only ${avail}/${want} available`}`,
      cause: backend, hint: `\`${k} rollout resume deployment/${name}\` rolls the latest spec out (someone paused it with \`kubectl rollout pause\`, or a tool that stages rollouts); \`${k} rollout status deployment/${name}\` then follows it` };
  }
  if (progressing && progressing['reason'] === 'ProgressDeadlineExceeded') {
    return { ...base, reason: 'ProgressDeadlineExceeded', id: 'rolloutStuck', text: `${name}: rollout stuck: ${condText(progressing)}${oldServes}`, cause: backend,
      hint: `\`${k} rollout status deployment/${name}\` and \`${k} describe deployment ${name}\`; \`${k} rollout undo deployment/${name}\` returns to the last working version` };
  }
  const gen = num(d.metadata.generation), obs = num(st['observedGeneration']);
  if (gen !== undefined && (obs ?? 0) < gen) {
    return { ...base, reason: 'NotObserved', id: 'rolloutPending', text: `${name}: the Deployment controller has not processed the latest spec (generation ${gen}, observed ${obs ?? 'none'})`, cause: backend,
      hint: `wait a moment; if it stays, kube-controller-manager is not running or cannot reach the API server (\`kubectl get --raw /readyz?verbose\`, \`${k} get events\`)` };
  }
  const avail = num(st['availableReplicas']) ?? 0;
  if (podsDenied) {
    return { ...base, reason: 'PodsUnreadable', id: 'podsUnreadable', text: `${name}: ${avail}/${want} replicas available (from the Deployment's status); why is not known here: its pods cannot be read (${podsDenied})`, cause: backend,
      hint: `the pods and their events say why, but this identity may not list them: \`${k} auth can-i list pods\`; a user who may sees it with \`kubectl describe pods -n ${target.kubernetes.namespace} -l ${selectorString(spec['selector'])}\`; or a cluster admin grants list on pods and events in ${target.kubernetes.namespace}` };
  }
  if (podCount === 0) {
    return { ...base, reason: 'NoPods', id: 'noPods', text: `${name}: ${avail}/${want} replicas available; no pods exist for its selector ${selectorString(spec['selector']) || '(none)'} and no condition says why`, cause: backend,
      hint: `\`${k} get replicasets,events\` shows whether the ReplicaSet tries to create pods; without events kube-controller-manager may not be running` };
  }
  return { ...base, reason: 'NotAvailable', id: 'notReady', text: `${name}: ${avail}/${want} replicas available (pods are ready but not yet available: minReadySeconds or a rollout in progress)`, cause: backend,
    hint: `\`${k} rollout status deployment/${name}\`` };
}

/** "exceeded quota: <name>, requested: a=1, used: a=7, limited: a=8": the resources that do not fit, and what helps. */
function quotaExceededHint(m: RegExpExecArray, ns: string, resourcesKey: string, k: string): string {
  const pairs = (x: string) => new Map(x.split(',').map((p) => p.trim().split('=') as [string, string]).filter((p) => p.length === 2));
  const req = pairs(m[2]!), used = pairs(m[3]!), lim = pairs(m[4]!);
  const over = [...req.keys()].map((r) => `${r}: ${req.get(r)} asked, ${used.get(r) ?? '?'} used of ${lim.get(r) ?? '?'}`);
  const countOnly = [...req.keys()].every((r) => r === 'pods' || r.startsWith('count/'));
  return `the ResourceQuota ${m[1]} in ${ns} has no room left (${over.join('; ')}): ${countOnly
    ? `it limits the number of objects, so smaller resources do not help: raise its hard ${[...req.keys()].join(', ')} or delete what uses it (Failed/Completed pods count until deleted)`
    : `raise its hard limits or lower \`${resourcesKey}\`; what else uses the namespace's quota may also be freed`}; \`${k} describe resourcequota ${m[1]}\``;
}

/**
 * An admission webhook the API server could not call ("failed calling webhook <name>: <why>"), with failurePolicy Fail:
 * why, from the API server's own words: a Service without ready endpoints (its pods are down), a certificate the
 * caBundle does not verify, a refused or timed-out connection, a name that does not resolve.
 */
export function webhookCallFailure(hookName: string, why: string): { hint: string; cause?: string } {
  const url = /(?:Post|Get) "https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.[\w.-]+)?(?::\d+)?[^"]*"/i.exec(why);
  const noEp = /no endpoints available for service "([^"]+)"/i.exec(why);
  const where = `\`kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations\` names its Service or URL`;
  const leftover = 'or, if it is left over from an uninstalled tool, delete its configuration';
  const certManager = /cert-manager/i.test(hookName) || /cert-manager/i.test(noEp?.[1] ?? url?.[1] ?? '');
  if (noEp) {
    const svc = noEp[1]!, ns = url && url[1] === svc ? url[2]! : undefined;
    const nsFlag = ns ? ` -n ${ns}` : ' -n <its namespace>';
    return { cause: ns ? cause.object('service', ns, svc) : undefined,
      hint: `the admission webhook ${hookName} is served by Service ${ns ? `${ns}/` : ''}${svc}, which has no ready endpoints (none of its pods is ready), and its failurePolicy is Fail, so the API server refuses every pod it matches: make its pods ready (\`kubectl get pods${nsFlag}\`, \`kubectl get endpointslices${nsFlag} -l kubernetes.io/service-name=${svc}\`)${certManager ? '; cert-manager\'s webhook must run before anything whose objects it validates (install or repair cert-manager first: `kubectl get pods -n cert-manager`)' : ''}, ${leftover}` };
  }
  if (/x509:|tls: failed to verify certificate|certificate signed by unknown authority/i.test(why)) {
    return { hint: `the API server does not trust the certificate the webhook ${hookName} serves (${why.slice(0, 200)}) and its failurePolicy is Fail: the caBundle of its configuration is not the CA of its serving certificate, or the certificate is for another name or expired${certManager ? ' (cert-manager\'s cainjector writes the caBundle: `kubectl get pods -n cert-manager`)' : ''}; ${where}, ${leftover}` };
  }
  return { hint: `the admission webhook ${hookName} cannot be called (${why.slice(0, 160)}) and its failurePolicy is Fail, so the API server refuses every pod it matches: fix the webhook's backend (${where}; \`kubectl get endpoints -n <its namespace>\`), ${leftover}` };
}

async function replicaSetEvent(s: KubeSession, ns: string, d: DeploymentLike, signal: AbortSignal): Promise<string | undefined> {
  const spec = isObj(d.spec) ? d.spec : {};
  const sel = selectorString(spec['selector']);
  if (!sel) return undefined;
  const rss = await s.list<{ metadata: { name: string } }>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/replicasets`, signal, { labelSelector: sel, maxItems: 20 });
  for (const rs of rss) {
    const evs = await eventsFor(s, ns, rs.metadata.name, signal);
    const fc = evs.find((e) => e.reason === 'FailedCreate' && typeof e.message === 'string');
    if (fc) return `FailedCreate: ${String(fc.message).replace(/\s+/g, ' ').slice(0, 400)}`;
  }
  return undefined;
}

export default defineCheck({
  id: 'flyte.deployments.ready',
  title: 'Every Flyte Deployment of the detected chart is available',
  phases: ['verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  timeoutMs: 20_000,
  messages: {
    ready: { status: 'pass', summary: 'Every Deployment of the chart is available.' },
    notInstalled: { status: 'fail', summary: 'No Deployment of the chart exists in the namespace (wrong namespace, release or chart).' },
    deploymentMissing: { status: 'fail', summary: 'Some Deployments of the chart are missing (a component disabled or deleted).' },
    scaledToZero: { status: 'fail', summary: 'A Deployment is scaled to 0 replicas.' },
    imagePullFailed: { status: 'fail', summary: 'An image cannot be pulled (ErrImagePull/ImagePullBackOff): auth, not found, rate limit or network, from the kubelet\'s event.' },
    invalidImage: { status: 'fail', summary: 'An image reference is malformed (InvalidImageName).' },
    crashLooping: { status: 'fail', summary: 'A container keeps crashing (CrashLoopBackOff), with its last exit code and reason.' },
    containerFailed: { status: 'fail', summary: 'A container terminated with an error (exit code and reason named).' },
    oomKilled: { status: 'fail', summary: 'A container was killed for using more memory than its limit (OOMKilled).' },
    livenessFailing: { status: 'fail', summary: 'The kubelet keeps restarting a container because its liveness or startup probe fails (Unhealthy events quoted).' },
    configMissing: { status: 'fail', summary: 'A Secret, ConfigMap or key the pod references is missing (CreateContainerConfigError): it is named.' },
    containerCreateFailed: { status: 'fail', summary: 'The runtime could not create or start a container (CreateContainerError, RunContainerError, ContainerCannotRun, hook errors).' },
    volumeMountFailed: { status: 'fail', summary: 'A volume cannot be attached or mounted (FailedMount, FailedAttachVolume); a missing Secret/ConfigMap/PVC is named.' },
    sandboxFailed: { status: 'fail', summary: 'The node cannot set up the pod sandbox or network (FailedCreatePodSandBox, NetworkNotReady).' },
    unschedulable: { status: 'fail', summary: 'A pod cannot be scheduled (FailedScheduling): insufficient CPU/memory, taints, affinity, unbound PVCs are named.' },
    waitingForDatabase: { status: 'fail', summary: 'The wait-for-db init container loops: the pods cannot reach the database it names.' },
    initContainerStuck: { status: 'fail', summary: 'An init container runs and does not finish; what it does is named.' },
    initContainerFailed: { status: 'fail', summary: 'An init container fails (migrations, secret generation...), with its exit code.' },
    evicted: { status: 'fail', summary: 'A pod was evicted for node pressure.' },
    podFailed: { status: 'fail', summary: 'A pod failed (OutOfcpu, OutOfmemory, NodeAffinity, Shutdown, UnexpectedAdmissionError...).' },
    nodeLost: { status: 'fail', summary: 'The node of a pod stopped reporting (phase Unknown, NodeLost).' },
    podTerminating: { status: 'fail', summary: 'A pod is stuck Terminating.' },
    readinessFailing: { status: 'fail', summary: 'A container runs but its readiness probe fails (Unhealthy events quoted).' },
    podCreationFailed: { status: 'fail', summary: 'The ReplicaSet cannot create pods (FailedCreate: quota, missing ServiceAccount, Pod Security, an admission webhook).' },
    rolloutStuck: { status: 'fail', summary: 'The rollout exceeded its progress deadline (ProgressDeadlineExceeded).' },
    rolloutPaused: { status: 'warn', summary: 'A Deployment is paused (kubectl rollout pause): its latest spec is not rolled out; the previous version still serves.' },
    rolloutPausedUnavailable: { status: 'fail', summary: 'A Deployment is paused (kubectl rollout pause) and not enough of its pods are available.' },
    rolloutPending: { status: 'fail', summary: 'The Deployment controller has not processed the latest spec (generation not observed).' },
    podsUnreadable: { status: 'fail', summary: 'A Deployment is not available (its own status says so) and its pods may not be read (403), so the reason is not known here.' },
    noPods: { status: 'fail', summary: 'No pod exists for a Deployment and nothing says why.' },
    notReady: { status: 'fail', summary: 'Pods are not ready for another reason (named from the pod condition or events).' },
    unrecognised: { status: 'fail', summary: 'A pod state or event reason flyte-doctor does not know: quoted as is.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'flyte-binary: the single Deployment `<fullname>`. flyte-core: flyteadmin, flyteconsole, datacatalog, flytepropeller, flyte-pod-webhook, and flytescheduler / syncresources when they are deployed. For each one not available, reads its pods (by the Deployment\'s selector) and their events and reports why: the init container that does not finish and what it waits for (wait-for-db: the database host), Pending with the scheduler\'s reason, ImagePullBackOff with the registry\'s answer, CrashLoopBackOff with the last exit code, a missing Secret or ConfigMap, evictions, failing readiness probes; or the Deployment\'s own state (ProgressDeadlineExceeded, ReplicaFailure, scaled to 0, paused, a rollout whose previous version still serves). When its pods may not be read (403), the Deployment\'s own status still decides that it is down.',
    why: 'A Flyte component that is not running makes every later symptom (502 from the ingress, console errors, executions stuck in Queued) misleading; the underlying reason is almost always in the pod status and events.',
    fix: 'Follow the fix shown for the reason: the values key of the image, resources, scheduling or pull secret; create the missing Secret; read the previous container logs; fix the database host the init container waits for.',
  },
  async run(ctx) {
    const ns = ctx.target.kubernetes.namespace;
    const chart: Chart = ctx.target.chart ?? 'flyte-binary';
    const k = kubectl(ctx.target.kubernetes, ns);
    return withKube(ctx, `the Deployments in ${ns}`, async (s, signal) => {
      const all = await s.list<DeploymentLike>(`/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/deployments`, signal);
      const byName = new Map(all.map((d) => [d.metadata.name, d]));
      const names = await resolveChartNames(s, ctx.target, signal);
      const comps = flyteComponents(names);
      const found: { c: FlyteComponent; d: DeploymentLike }[] = [];
      const missing: FlyteComponent[] = [];
      const notDeployed: string[] = [];
      for (const c of comps) {
        const d = c.deployments.map((n) => byName.get(n)).find(Boolean);
        if (d) found.push({ c, d });
        else if (c.optional) notDeployed.push(c.deployments[0]!);
        else missing.push(c);
      }
      if (found.length === 0) {
        // the other chart's Deployments in the namespace: the values are not the install's
        const otherName = all.map((d) => d.metadata.name).find((n) => (chart === 'flyte-core' ? /flyte-binary$/.test(n) : ['flyteadmin', 'flytepropeller'].includes(n)));
        const otherChart = otherName ? { chart: chart === 'flyte-core' ? 'flyte-binary' : 'flyte-core', name: otherName } : undefined;
        return { status: 'fail' as const, messageId: 'notInstalled' as const, cause: cause.object('flyte-install', ns, chart),
          message: `no ${chart} Deployments in namespace ${ns} (expected ${missing.map((c) => c.deployments[0]).join(', ')}; found ${all.length ? all.map((d) => d.metadata.name).join(', ') : 'none'})`,
          details: { chart, namespace: ns, expected: missing.map((c) => c.deployments[0]!), found: all.map((d) => d.metadata.name) },
          hint: otherChart
            ? `namespace ${ns} runs ${otherChart.chart} (Deployment ${otherChart.name}) and these values are ${chart}'s: check them against the installed release's values (\`helm list -n ${ns}\`, then \`helm get values <release> -n ${ns}\`), or point -n / --context at the ${chart} install; do not install ${chart} beside it`
            : `Flyte is not installed here: \`helm list -A | grep -i flyte\` finds the release; check the namespace (-n), release name${chart === 'flyte-binary' ? ' (the Deployment is named <release>-flyte-binary)' : ''} and chart, or install it` };
      }
      const unready: Unready[] = [];
      const ready: string[] = [];
      let eventsDenied = false;
      let podsDeniedAny = false;
      for (const { c, d } of found) {
        if (deploymentReady(d)) { ready.push(d.metadata.name); continue; }
        const spec = isObj(d.spec) ? d.spec : {};
        const want = num(spec['replicas']) ?? 1;
        const sel = selectorString(spec['selector']);
        // The Deployment's own status already says it is not available: a 403 on its pods hides why, not that it is down.
        let podsDenied: string | undefined;
        const r = want > 0 && sel ? await podsWithDiagnosis(s, ns, sel, signal).catch((e: unknown) => {
          if (e instanceof KubeError && e.kind === 'forbidden' && e.extra.verb !== 'impersonate') { podsDenied = e.message; return { pods: [] }; }
          throw e;
        }) : { pods: [] };
        if ('eventsDenied' in r && r.eventsDenied) eventsDenied = true;
        if (podsDenied) podsDeniedAny = true;
        const rsEvent = want > 0 && r.pods.length === 0 ? await replicaSetEvent(s, ns, d, signal).catch(() => undefined) : undefined;
        unready.push(explainUnready(c, d, 'diag' in r ? r.diag : undefined, r.pods.length, chart, k, ctx.target, rsEvent, podsDenied));
      }
      const details: Record<string, Json> = { chart, namespace: ns, ...(names.detected ? { detected: names.detected } : {}), ready, notDeployed, missing: missing.map((c) => c.deployments[0]!),
        unready: unready.map((u) => ({ deployment: u.deployment, component: u.component, reason: u.reason, finding: u.id, text: u.text, ...(u.pod ? { pod: u.pod } : {}), ...(u.container ? { container: u.container } : {}) })),
        ...(eventsDenied ? { eventsDenied: true } : {}), ...(podsDeniedAny ? { podsDenied: true } : {}) };
      if (unready.length === 0 && missing.length === 0) {
        return { status: 'pass' as const, messageId: 'ready' as const, message: `${ready.length} Deployment(s) available in ${ns}: ${ready.join(', ')}${notDeployed.length ? ` (not deployed: ${notDeployed.join(', ')})` : ''}${names.detected ? ` (release "${names.kubernetes.release}" found by label)` : ''}`, details };
      }
      const parts = [...unready.map((u) => u.text), ...missing.map((c) => `${c.deployments[0]}: Deployment missing`)];
      // A paused Deployment whose previous version still serves is a warning: a failing component leads when there is one.
      const warnOnly = (u: Unready) => u.id === 'rolloutPaused';
      // Several components down for one cause (the database refuses every backend; one of them says so in its log, another
      // only fails its readiness probe): the one whose evidence names a cause outside Flyte leads, so the finding carries that
      // cause and the check of that root (database, scheduler, webhook) is linked to it; otherwise the first component in order.
      const own = (u: Unready) => u.cause === cause.backend(comps.find((c) => c.deployments.includes(u.deployment))?.backend ?? '');
      const failing = unready.filter((u) => !warnOnly(u));
      const first = failing.find((u) => !own(u)) ?? failing[0] ?? unready[0];
      const message = `${parts.length} Flyte Deployment(s) not ready in ${ns}: ${parts.join('; ')}`;
      if (first && warnOnly(first) && missing.length === 0) return { status: 'warn' as const, messageId: first.id, cause: first.cause, message, details, hint: first.hint };
      if (!first) {
        return { status: 'fail' as const, messageId: 'deploymentMissing' as const, cause: cause.backend(missing[0]!.backend), message, details,
          hint: missingHint(ctx.target, missing.map((c) => c.deployments[0]!), chart === 'flyte-core' ? `${missing[0]!.valuesKey}.enabled` : 'the release', ns) };
      }
      return { status: 'fail' as const, messageId: first.id, cause: first.cause, message, details, hint: first.hint };
    });
  },
});

/**
 * A Deployment the values deploy (their `<component>.enabled`, or the scheduler's
 * workflow_scheduler.enabled + type native) but the cluster lacks: the release runs other values
 * (an upgrade never applied, another release); without values, say which key decides it.
 */
function missingHint(t: { components?: ComponentSetting[] | undefined; valuesFiles?: string[] | undefined }, names: string[], key: string, ns: string): string {
  const decided = names.map((n) => t.components?.find((c) => c.deployment === n && c.enabled)).filter((c): c is ComponentSetting => !!c);
  if (decided.length) {
    const files = t.valuesFiles ?? [];
    return `these values deploy ${decided.map((c) => `${c.deployment} (${c.source})`).join('; ')} but the cluster has no such Deployment: the release was installed or upgraded with other values; apply these: \`helm upgrade <release> flyteorg/flyte-core -n ${ns}${files.map((f) => ` -f ${f}`).join('')}\` (\`helm get values <release> -n ${ns}\` shows what it runs with)`;
  }
  return `the chart did not create ${names.join(', ')}: check \`${key}\` and \`helm status <release> -n ${ns}\``;
}
