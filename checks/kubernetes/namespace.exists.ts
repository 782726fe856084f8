import { isObj, KubeError, kubectl } from '../../src/clients/kube.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { API_MESSAGES, terminatingNamespace, withKube } from './_support.js';
import { checkedIdentity } from './rbac.install.js';

/** The identity the API server answered for, as messages name it (see checkedIdentity). */
function whoIs(s: Parameters<typeof checkedIdentity>[0]): string {
  const id = checkedIdentity(s);
  return id.known ? `${id.serviceAccount ? `ServiceAccount ${id.serviceAccount.namespace}/${id.serviceAccount.name}` : `user "${id.name}"`} (${id.how})` : `user "${s.identity.user}"`;
}

export default defineCheck({
  id: 'kubernetes.namespace.exists',
  title: 'The target namespace exists or can be created',
  phases: ['preflight', 'verify'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: {
    exists: { status: 'pass', summary: 'The namespace exists and is Active.' },
    canCreate: { status: 'pass', summary: 'The namespace does not exist yet and the identity may create it (helm install --create-namespace).' },
    missingCannotCreate: { status: 'fail', summary: 'The namespace does not exist and the identity may not create it.' },
    notInstalled: { status: 'fail', summary: 'verify: the namespace does not exist, so nothing is installed there (a wrong -n, or the release is elsewhere).' },
    terminating: { status: 'fail', summary: 'The namespace is being deleted and stuck Terminating: the finalizers or remaining objects that block it are named.' },
    podSecurityRestricted: { status: 'warn', summary: 'The namespace enforces the Pod Security "restricted" level: the chart\'s pods are rejected unless the values give every container the restricted securityContext (the keys are named); not judged from here.' },
    cannotRead: { status: 'warn', summary: 'The identity may not read the namespace (403), so whether it exists is unknown.' },
    ...API_MESSAGES,
  },
  explain: {
    what: 'Reads the release namespace. In verify, a namespace that does not exist means nothing is installed there. In preflight, when it does not exist, asks (SelfSubjectAccessReview) whether the identity may create it. When it is Terminating, reads its status conditions (content remaining, finalizers remaining, API discovery failures) to name what blocks the deletion.',
    why: '`helm install -n <ns>` fails when the namespace is missing (unless `--create-namespace`), and a namespace stuck in Terminating rejects every new object: "unable to create new content in namespace because it is being terminated".',
    fix: 'Missing: `kubectl create namespace <ns>` (or `helm install --create-namespace`), as an identity allowed to create namespaces. Terminating: remove what blocks the deletion (finalizers of objects whose controller is gone, an unavailable APIService), or install into another namespace.',
  },
  async run(ctx) {
    const ns = ctx.target.kubernetes.namespace;
    const k = kubectl(ctx.target.kubernetes);
    return withKube(ctx, `namespace ${ns}`, async (s, signal) => {
      let obj: Record<string, unknown> | undefined;
      try {
        obj = await s.getOptional<Record<string, unknown>>(`/api/v1/namespaces/${encodeURIComponent(ns)}`, signal);
      } catch (e) {
        if (!(e instanceof KubeError) || e.kind !== 'forbidden') throw e;
        // Cannot read it: fall back to the access review alone.
        const [create] = await s.canI([{ verb: 'create', group: '', resource: 'namespaces' }], signal);
        // the identity the API server answered for (impersonated user, ServiceAccount of a token, certificate CN)
        const id = checkedIdentity(s);
        const who = whoIs(s);
        return { status: 'warn' as const, messageId: 'cannotRead' as const, cause: cause.denied('kubernetes', s.identity.user || 'anonymous', `get namespaces/${ns}`), message: `${who} may not read namespace ${ns} (403), so whether it exists is unknown${create!.allowed ? '; the user may create namespaces' : ''}`,
          details: { namespace: ns, user: s.identity.user, identity: id.name, canCreate: create!.allowed, error: e.message },
          hint: `check as an admin: \`${k} get namespace ${ns}\`; or grant read access: \`kubectl create clusterrole ns-reader --verb=get,list --resource=namespaces && kubectl create clusterrolebinding ns-reader --clusterrole=ns-reader ${id.subjectFlag}\`${id.known ? '' : ` (use the name \`${k} auth whoami\` shows)`}` };
      }
      if (obj) {
        const st = isObj(obj['status']) ? obj['status'] : {};
        const md = isObj(obj['metadata']) ? obj['metadata'] : {};
        const phase = typeof st['phase'] === 'string' ? st['phase'] : undefined;
        if (phase === 'Terminating' || typeof md['deletionTimestamp'] === 'string') {
          const t = terminatingNamespace(obj, ns, k);
          return { status: 'fail' as const, messageId: 'terminating' as const, cause: cause.object('namespace', undefined, ns), message: t.message, details: t.details, hint: t.hint };
        }
        const labels = isObj(md['labels']) ? md['labels'] : {};
        const enforce = labels['pod-security.kubernetes.io/enforce'];
        if (enforce === 'restricted') {
          // The evidence is the label; whether the pods comply depends on securityContext values that are
          // not judged here, so this is a warning naming what "restricted" requires and where it is set.
          const ver = typeof labels['pod-security.kubernetes.io/enforce-version'] === 'string' ? labels['pod-security.kubernetes.io/enforce-version'] : 'latest';
          const binary = (ctx.target.chart ?? 'flyte-binary') === 'flyte-binary';
          const keys = binary ? '`deployment.podSecurityContext` (runAsNonRoot: true, seccompProfile.type: RuntimeDefault) and `deployment.securityContext`, `deployment.waitForDB.securityContext`, `deployment.genAdminAuthSecret.securityContext` (allowPrivilegeEscalation: false, capabilities.drop: [ALL])'
            : 'each component\'s `<component>.securityContext` (runAsNonRoot: true, seccompProfile.type: RuntimeDefault) and a container securityContext with allowPrivilegeEscalation: false, capabilities.drop: [ALL]';
          return { status: 'warn' as const, messageId: 'podSecurityRestricted' as const, cause: cause.object('namespace', undefined, ns),
            message: `namespace ${ns} exists but enforces Pod Security "restricted" (label pod-security.kubernetes.io/enforce=restricted, version ${ver}): the API server rejects every pod of the chart (the Deployment stays at 0 ready, "violates PodSecurity \"restricted:${ver}\"") unless each container and init container runs as non-root with seccompProfile RuntimeDefault, allowPrivilegeEscalation false and all capabilities dropped; the chart's defaults do not set these, and the values are not judged here`,
            details: { namespace: ns, phase: phase ?? null, podSecurity: { enforce, version: ver } },
            hint: `unless your values already set them, set ${keys}; or relax the namespace: \`${k} label namespace ${ns} pod-security.kubernetes.io/enforce=baseline --overwrite\`` };
        }
        return { status: 'pass' as const, messageId: 'exists' as const, message: `namespace ${ns} exists (${phase ?? 'Active'})`, details: { namespace: ns, phase: phase ?? null, ...(typeof enforce === 'string' ? { podSecurity: { enforce } } : {}) } };
      }
      if (ctx.phase === 'verify') {
        const src = ctx.target.provenance['kubernetes.namespace'] ?? 'default';
        return { status: 'fail' as const, messageId: 'notInstalled' as const, cause: cause.object('flyte-install', ns, ctx.target.chart ?? 'flyte-binary'),
          message: `namespace ${ns} does not exist, so Flyte is not installed there (namespace from ${src === 'default' ? 'the default' : src})`,
          details: { namespace: ns, exists: false, source: src },
          hint: `pass the namespace of the release with -n (\`helm list -A | grep -i flyte\` shows it)${src.startsWith('env ') ? `, or fix ${src.slice(4)}` : ''}` };
      }
      const [create] = await s.canI([{ verb: 'create', group: '', resource: 'namespaces' }], signal);
      if (create!.allowed) {
        return { status: 'pass' as const, messageId: 'canCreate' as const, message: `namespace ${ns} does not exist yet; user "${s.identity.user}" may create it (helm install --create-namespace)`, details: { namespace: ns, exists: false, canCreate: true } };
      }
      return { status: 'fail' as const, messageId: 'missingCannotCreate' as const, cause: cause.denied('kubernetes', s.identity.user || 'anonymous', 'create namespaces'),
        message: `namespace ${ns} does not exist and ${whoIs(s)} may not create it (no create on namespaces)${create!.reason ? ` (${create!.reason})` : ''}`,
        details: { namespace: ns, exists: false, canCreate: false },
        hint: `ask a cluster admin to run \`kubectl create namespace ${ns}\` (or choose an existing namespace with -n)` };
    });
  },
});
