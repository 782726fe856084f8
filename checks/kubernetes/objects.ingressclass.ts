import { isObj, kubectl, KubeError, type KubeSession } from '../../src/clients/kube.js';
import { isClusterInternal } from '../../src/config/endpoints.js';
import type { ObjectReference, Target } from '../../src/config/target.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { missingNeed } from '../../src/engine/needs.js';
import type { CheckContext } from '../../src/engine/types.js';
import { annotationController, DEFAULT_INGRESS_CLASS_ANNOTATION, GRPC_ANNOTATION, ingressController } from '../../src/flyte/references.js';
import { forbiddenHint, forbiddenText, getOr, isForbidden, isPlaceholder, keyOf, rollUp, validName, type Item } from './_objects.js';
import { surroundingWhitespace } from '../../src/config/hygiene.js';
import { API_MESSAGES, withKube } from './_support.js';

const MESSAGES = {
  exists: { status: 'pass', summary: 'The IngressClass the values name exists; its controller is named.' },
  defaultClass: { status: 'pass', summary: 'No IngressClass is named and the cluster has a default one (ingressclass.kubernetes.io/is-default-class), which the Ingress gets.' },
  exposedOtherwise: { status: 'pass', summary: 'No Ingress is created, and the client endpoint is exposed another way (a LoadBalancer/NodePort Service, an Ingress or route outside the chart, a cluster-internal name, a port-forward).' },
  noIngress: { status: 'skip', summary: 'No Ingress is created and no client endpoint is given (or the values deploy no flyteadmin): nothing to check.' },
  placeholder: { status: 'skip', summary: 'The IngressClass name is a placeholder (values.inputs.placeholders reports it).' },
  missing: { status: 'fail', summary: 'The IngressClass the values name does not exist: no controller serves the Ingress (the classes that exist are named).' },
  invalidName: { status: 'fail', summary: 'The IngressClass name in the values is not a valid Kubernetes name (whitespace around it, capitals): the API server refuses the Ingress at install.' },
  classConflict: { status: 'fail', summary: 'The Ingress sets both spec.ingressClassName and the kubernetes.io/ingress.class annotation, to different classes: the API server refuses it at install ("must match `ingressClassName` when both are specified").' },
  annotationClassMissing: { status: 'warn', summary: 'The Ingress names its class with the deprecated kubernetes.io/ingress.class annotation and no IngressClass of that name exists: only a controller started for that class name serves it.' },
  noDefault: { status: 'warn', summary: 'No IngressClass is named and none is marked default: most controllers ignore an Ingress without a class.' },
  severalDefaults: { status: 'warn', summary: 'No IngressClass is named and several are marked default: which one the Ingress gets depends on the Kubernetes version.' },
  foreignAnnotations: { status: 'warn', summary: 'The Ingress annotations are written for another controller than the one of its IngressClass: that controller ignores them (e.g. the gRPC backend protocol).' },
  notExposed: { status: 'warn', summary: 'No Ingress will be created (ingress.create / common.ingress.enabled false) and nothing found exposes flyteadmin at the host the client dials.' },
  cannotRead: { status: 'warn', summary: 'The identity may not read IngressClasses (403): cannot be checked with these credentials.' },
  ...API_MESSAGES,
} as const;
type Id = keyof typeof MESSAGES;

interface ClassObj { metadata: { name: string; annotations?: Record<string, unknown>; creationTimestamp?: string }; spec?: { controller?: unknown } }

const controllerOf = (c: ClassObj) => (isObj(c.spec) && typeof c.spec.controller === 'string' ? c.spec.controller : '?');
const describeClass = (c: ClassObj) => `${c.metadata.name} (${controllerOf(c)})`;
const isDefault = (c: ClassObj) => isObj(c.metadata.annotations) && String(c.metadata.annotations[DEFAULT_INGRESS_CLASS_ANNOTATION]) === 'true';

export default defineCheck({
  id: 'kubernetes.objects.ingressclass',
  title: 'The IngressClass of the Ingress exists (and whose controller it is), or flyteadmin is exposed otherwise',
  phases: ['preflight'],
  needs: ['kubernetes'],
  dependsOn: ['kubernetes.api.reachable'],
  messages: MESSAGES,
  explain: {
    what: 'For each Ingress the chart will create: reads the IngressClass it names (flyte-binary `ingress.ingressClassName` / `httpIngressClassName` / `grpcIngressClassName`; flyte-core `common.ingress.ingressClassName` or the `kubernetes.io/ingress.class` annotation) and names its controller (`spec.controller`); when none is named, the default IngressClass (annotation `ingressclass.kubernetes.io/is-default-class`). The Ingress annotations are compared with that controller: `nginx.ingress.kubernetes.io/*` on an F5 NGINX or ALB class are ignored, and with them the gRPC backend protocol Flyte needs. When no Ingress will be created (`ingress.create: false`, `common.ingress.enabled: false`) and the client dials a name outside the cluster, looks for what else exposes flyteadmin there: a LoadBalancer/NodePort Service in the values, an Ingress or a Gateway API route for that host already in the cluster.',
    why: 'An Ingress whose class does not exist, or that has no class in a cluster without a default one, is accepted by the API server and then served by nobody: the host answers 404 or not at all, and every client check fails later with routing errors. With no Ingress at all, the client endpoint leads nowhere after a successful install.',
    fix: 'Set the class key to an IngressClass that exists (`kubectl get ingressclass` lists them with their controllers), install the controller, or mark one class default. Use the annotations of the controller the class belongs to. With no Ingress, set `ingress.create: true` (flyte-binary) / `common.ingress.enabled: true` (flyte-core) with the host, or expose flyteadmin another way and point the client there.',
  },
  async run(ctx) {
    const t = ctx.target;
    const refs = (t.references ?? []).filter((r) => r.kind === 'IngressClass');
    if (!refs.length) return exposure(ctx);
    return withKube<Id>(ctx, 'the IngressClasses', async (s, signal) => {
      let all: ClassObj[] | KubeError | undefined;
      const list = async () => {
        if (all === undefined) {
          try { all = await s.list<ClassObj>('/apis/networking.k8s.io/v1/ingressclasses', signal, { maxItems: 200 }); } catch (e) { if (isForbidden(e)) all = e; else throw e; }
        }
        return all;
      };
      const items: Item<Id>[] = [];
      for (const r of refs) items.push(...(await checkClass(ctx, s, r, signal, list)));
      return rollUp(items, { what: 'the Ingress classes' });
    });
  },
});

async function checkClass(ctx: CheckContext, s: KubeSession, r: ObjectReference, signal: AbortSignal, list: () => Promise<ClassObj[] | KubeError>): Promise<Item<Id>[]> {
  const t = ctx.target;
  const k = kubectl(t.kubernetes);
  const existing = async () => { const l = await list(); return l instanceof KubeError ? undefined : l; };
  const forbidden = (e: KubeError): Item<Id> => ({ status: 'warn', id: 'cannotRead', text: `IngressClass ${r.name || '(default)'}: ${forbiddenText(e, s.identity.user)}, so it cannot be checked with these credentials`, hint: forbiddenHint(e, s.identity.user, k),
    cause: cause.denied('kubernetes', s.identity.user || 'anonymous', `${e.extra.verb ?? 'get'} ingressclasses.networking.k8s.io`), details: { class: r.name, source: r.source } });
  if (r.useDefault) {
    const l = await list();
    if (l instanceof KubeError) return [forbidden(l)];
    const defaults = l.filter(isDefault);
    const ingresses = r.purpose.replace(/ \(none named\)/g, '');
    const classKey = t.chart === 'flyte-core' ? prefixed(t, 'common.ingress.ingressClassName') : prefixed(t, 'ingress.ingressClassName');
    if (defaults.length === 1) return [{ status: 'pass', id: 'defaultClass', text: `no IngressClass named (${ingresses}): the cluster's default IngressClass ${describeClass(defaults[0]!)} applies`, details: { default: defaults[0]!.metadata.name, controller: controllerOf(defaults[0]!) } }, ...annotationItems(r, defaults[0]!, t, classKey)];
    if (defaults.length > 1) {
      return [{ status: 'warn', id: 'severalDefaults', text: `no IngressClass named (${ingresses}) and ${defaults.length} are marked default (${defaults.map(describeClass).join(', ')}): recent Kubernetes versions give the Ingress the newest, older ones reject it`,
        hint: `name one: set \`${classKey}\` to ${defaults.map((c) => c.metadata.name).join(' or ')}; or keep one default (\`${k} annotate ingressclass <name> ${DEFAULT_INGRESS_CLASS_ANNOTATION}-\` on the others)`, cause: cause.config(classKey), details: { defaults: defaults.map((c) => c.metadata.name) } }];
    }
    return [{ status: 'warn', id: 'noDefault', text: `no IngressClass named (${ingresses}) and none is marked default${l.length ? ` (classes: ${l.map(describeClass).join(', ')})` : ' (the cluster has no IngressClass at all: is an ingress controller installed?)'}: most controllers ignore an Ingress without a class (ingress-nginx unless --watch-ingress-without-class)`,
      hint: l.length ? `set \`${classKey}\` to ${l.map((c) => c.metadata.name).join(' or ')}; or mark one default: \`${k} annotate ingressclass ${l[0]!.metadata.name} ${DEFAULT_INGRESS_CLASS_ANNOTATION}=true\`` : `install an ingress controller (e.g. \`helm install ingress-nginx ingress-nginx --repo https://kubernetes.github.io/ingress-nginx -n ingress-nginx --create-namespace\`), then set \`${classKey}\` to its class`,
      cause: cause.config(classKey), details: { classes: l.map((c) => c.metadata.name) } }];
  }
  if (isPlaceholder(r, t)) return [{ status: 'skip', id: 'placeholder', text: `IngressClass "${r.name}" is a placeholder (${r.source})` }];
  if (!r.annotation && !validName(r.name)) {
    // helm writes the value as is into spec.ingressClassName, which the API server validates as a DNS
    // subdomain: the Ingress is refused at install (a trailing newline from a block scalar, a capital).
    const ws = surroundingWhitespace(r.name);
    const fixed = r.name.trim().toLowerCase();
    return [{ status: 'fail', id: 'invalidName', text: `the IngressClass name ${JSON.stringify(r.name)} (${r.source}) ${ws ?? 'is not a valid Kubernetes name (lower case letters, digits, \'-\' and \'.\')'}: the API server refuses the Ingress at \`helm install\` (spec.ingressClassName must be a DNS subdomain)`,
      details: { class: r.name, source: r.source }, cause: cause.config(keyOf(r)),
      hint: validName(fixed) ? `set \`${keyOf(r)}\` to ${fixed}${ws ? ', with nothing around it' : ''}` : `set \`${keyOf(r)}\` to the name of an IngressClass (\`${kubectl(t.kubernetes)} get ingressclass\` lists them)` }];
  }
  const conflict = classConflict(r, t);
  if (conflict) return [conflict];
  const got = await getOr<ClassObj>(s, `/apis/networking.k8s.io/v1/ingressclasses/${encodeURIComponent(r.name)}`, signal);
  if (got instanceof KubeError) return [forbidden(got)];
  const details = { class: r.name, source: r.source, ...(r.annotation ? { annotation: r.annotation } : {}) };
  if (got) {
    const ctl = controllerOf(got);
    const known = ingressController(ctl);
    const via = r.annotation ? ` (named by the deprecated ${r.annotation} annotation; \`spec.ingressClassName\` replaces it)` : '';
    return [{ status: 'pass', id: 'exists', text: `IngressClass ${r.name} exists: controller ${ctl}${known ? `, ${known.name}` : ''}${via}`, details: { ...details, controller: ctl } },
      ...annotationItems(r, got, t, keyOf(r))];
  }
  const l = await existing();
  const others = l?.length ? `; the classes that exist: ${l.map(describeClass).join(', ')}` : l ? '; the cluster has no IngressClass at all (is an ingress controller installed?)' : '';
  const choose = l?.length ? `set \`${keyOf(r)}\` to ${l.map((c) => c.metadata.name).join(' or ')}, or install` : 'install';
  if (r.annotation) {
    return [{ status: 'warn', id: 'annotationClassMissing', text: `no IngressClass ${r.name} (${r.purpose}, ${r.source})${others}: only a controller started for class "${r.name}" picks up an Ingress by the deprecated ${r.annotation} annotation, and flyte-doctor cannot see one`,
      hint: `${choose} the controller for class ${r.name} (it creates the IngressClass); prefer \`spec.ingressClassName\`${t.chart === 'flyte-core' ? ` (\`${prefixed(t, 'common.ingress.ingressClassName')}\`)` : ''} over the annotation`,
      cause: cause.object('ingressclass', undefined, r.name), details: { ...details, classes: (l ?? []).map((c) => c.metadata.name) } }];
  }
  return [{ status: 'fail', id: 'missing', text: `IngressClass ${r.name} does not exist (${r.purpose}, ${r.source}): no controller will serve the Ingress${others}`,
    hint: `${choose} the ingress controller that provides class ${r.name} (\`${k} get ingressclass\` lists the classes and their controllers)`,
    cause: cause.object('ingressclass', undefined, r.name), details: { ...details, classes: (l ?? []).map((c) => c.metadata.name) } }];
}

const CLASS_ANNOTATION = 'kubernetes.io/ingress.class';

/**
 * spec.ingressClassName and the deprecated annotation both on one Ingress, naming different classes: the
 * API server's Ingress validation refuses the object (422 "must match `ingressClassName` when both are
 * specified"), so `helm install` fails. Judged from the values alone; the same value in both is accepted.
 */
function classConflict(r: ObjectReference, t: Target): Item<Id> | undefined {
  if (r.annotation || !r.ingressAnnotations?.includes(CLASS_ANNOTATION)) return undefined;
  const i = t.ingress;
  const values = [...new Set([i?.annotations[CLASS_ANNOTATION], i?.grpcAnnotations[CLASS_ANNOTATION]].filter((x): x is string => typeof x === 'string'))];
  const other = values.find((x) => x !== r.name);
  if (other === undefined) return undefined;
  const annKey = t.chart === 'flyte-core' ? prefixed(t, 'common.ingress.annotations') : `${prefixed(t, 'ingress.commonAnnotations')} / ${prefixed(t, 'ingress.httpAnnotations')} / ${prefixed(t, 'ingress.grpcAnnotations')} / ${prefixed(t, 'commonAnnotations')}`;
  return { status: 'fail', id: 'classConflict',
    text: `the Ingress names class ${r.name} in spec.ingressClassName (${r.source}) and class ${JSON.stringify(other)} in the deprecated ${CLASS_ANNOTATION} annotation (${r.purpose}): the API server refuses an Ingress whose two differ ("annotations.${CLASS_ANNOTATION}: Invalid value: \"${other}\": must match \`ingressClassName\` when both are specified"), so \`helm install\` fails`,
    hint: `remove \`${CLASS_ANNOTATION}\` from the Ingress annotations (${annKey}): \`${keyOf(r)}\` names the class${validName(other) ? `; if ${other} is the class meant, set \`${keyOf(r)}\` to ${other} instead` : ''}`,
    cause: cause.config(keyOf(r)), details: { class: r.name, source: r.source, annotationClass: other } };
}

/** Annotations written for another controller than the class's: ignored by it. */
function annotationItems(r: ObjectReference, cls: ClassObj, t: Target, classKey: string): Item<Id>[] {
  const ctl = ingressController(controllerOf(cls));
  if (!ctl) return [];
  const anns = r.ingressAnnotations ?? [];
  // A foreign gRPC annotation is harmless when the class's own controller got its gRPC annotation too.
  const ownGrpc = anns.some((a) => GRPC_ANNOTATION.test(a) && annotationController(a)?.name === ctl.name);
  const foreign = anns.map((a) => ({ a, c: annotationController(a) })).filter((x) => x.c && x.c.name !== ctl.name && !(ownGrpc && GRPC_ANNOTATION.test(x.a)));
  if (!foreign.length) return [];
  const owners = [...new Set(foreign.map((x) => x.c!.name))];
  const keys = foreign.map((x) => x.a);
  const grpc = keys.some((a) => GRPC_ANNOTATION.test(a));
  const annKey = t.chart === 'flyte-core' ? prefixed(t, 'common.ingress.annotations') : prefixed(t, 'ingress.grpcAnnotations / ingress.commonAnnotations');
  return [{ status: 'warn', id: 'foreignAnnotations',
    text: `IngressClass ${cls.metadata.name} belongs to ${ctl.name} (${controllerOf(cls)}), but the Ingress annotations ${keys.join(', ')} are for ${owners.join(', ')}: ${ctl.name} ignores them${grpc ? ', so the gRPC routes lose their backend protocol' : ''}`,
    hint: `use the annotations of ${ctl.name} in \`${annKey}\`${ctl.grpc ? ` (for gRPC: ${ctl.grpc})` : ''}, or set \`${classKey}\` to a class of ${owners[0]}`,
    cause: cause.config(classKey), details: { class: cls.metadata.name, controller: controllerOf(cls), foreign: keys } }];
}

function prefixed(t: Target, key: string): string {
  return t.chartName === 'flyte' ? `flyte.${key}` : t.chartName === 'flyte-sandbox' ? `flyte-binary.${key}` : key;
}

const isLoopback = (h: string) => /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i.test(h);

/** No Ingress: is flyteadmin exposed at the host:port the client dials? */
async function exposure(ctx: CheckContext) {
  const t = ctx.target;
  if (!t.chart && !t.deployedInputs?.length) return { status: 'skip' as const, messageId: 'noIngress' as const, message: 'no values or manifests given: no Ingress to check' };
  const off = missingNeed(t, 'flyteadmin');
  if (off) return { status: 'skip' as const, messageId: 'noIngress' as const, message: off };
  const ingressKey = t.deployedInputs?.length && !t.provenance['ingress.enabled']?.includes(':') ? 'the manifests (no Ingress object)' : prefixed(t, t.chart === 'flyte-core' ? 'common.ingress.enabled' : 'ingress.create');
  const src = t.provenance['ingress.enabled'] ?? 'chart default';
  const host = t.client.host;
  const port = t.client.port ?? 443;
  const epSrc = t.provenance['client.endpoint'] ?? t.provenance['client.host'] ?? 'the client config';
  if (!host) return { status: 'skip' as const, messageId: 'noIngress' as const, message: `no Ingress will be created (${ingressKey}: false, ${src}) and no client endpoint is given (admin.endpoint / --endpoint): what exposes flyteadmin is not checked` };
  const none = `no Ingress will be created (${ingressKey}: false, ${src})`;
  if (isClusterInternal(host)) return { status: 'pass' as const, messageId: 'exposedOtherwise' as const, message: `${none}; the client dials ${host}:${port}, a cluster-internal name (${epSrc}): no Ingress is needed`, details: { host, port } };
  if (isLoopback(host)) return { status: 'pass' as const, messageId: 'exposedOtherwise' as const, message: `${none}; the client dials ${host}:${port} (${epSrc}): a port-forward (\`kubectl port-forward\`) or a local NodePort exposes it`, details: { host, port } };
  const services = (t.references ?? []).filter((r) => r.kind === 'Service' && r.serviceType);
  if (services.length) {
    return { status: 'pass' as const, messageId: 'exposedOtherwise' as const, message: `${none}; ${services.map((s) => `Service ${s.name} of type ${s.serviceType} (${s.source}) ${s.purpose}`).join('; ')}: the client dials ${host}:${port}, which must lead there`, details: { host, port, services: services.map((s) => s.name) } };
  }
  return withKube<Id>(ctx, 'the Ingresses and routes that could expose flyteadmin', async (s, signal) => {
    const found = await routesFor(s, host, t.kubernetes.namespace, signal);
    if (found.routes.length) {
      return { status: 'pass', messageId: 'exposedOtherwise', message: `${none}; ${found.routes.join(', ')} already route${found.routes.length === 1 ? 's' : ''} ${host} (not created by this chart): the client endpoint ${host}:${port} is exposed there`, details: { host, port, routes: found.routes } };
    }
    const k = kubectl(t.kubernetes);
    return { status: 'warn', messageId: 'notExposed', cause: cause.config(ingressKey),
      message: `${none} and nothing found exposes flyteadmin at ${host}:${port}, the endpoint the client dials (${epSrc}): no LoadBalancer/NodePort Service in the values${found.searched.length ? `, no Ingress or route for ${host} in ${found.searched.join(', ')}` : ''}; after install the client will not reach flyteadmin`,
      hint: `set \`${ingressKey}: true\` with the host (\`${prefixed(t, t.chart === 'flyte-core' ? 'common.ingress.host' : 'ingress.host')}: ${host}\`) and a class, or expose flyteadmin another way (a LoadBalancer Service: \`${prefixed(t, t.chart === 'flyte-core' ? 'flyteadmin.service.type' : 'service.type')}: LoadBalancer\`; an Ingress or Gateway route you manage) and point admin.endpoint at it; for a quick test: \`${k} port-forward -n ${t.kubernetes.namespace} svc/<flyteadmin service> 8089:${t.chart === 'flyte-core' ? 81 : 8089}\` with \`admin.endpoint: dns:///localhost:8089\``,
      details: { host, port, searched: found.searched, ...(found.unreadable.length ? { unreadable: found.unreadable } : {}), hostPort: hostPortKey(host, port) } };
  });
}

/** Ingresses and Gateway API routes that already route `host` (namespace first, then the cluster when readable). */
async function routesFor(s: KubeSession, host: string, ns: string, signal: AbortSignal): Promise<{ routes: string[]; searched: string[]; unreadable: string[] }> {
  const routes: string[] = [], searched: string[] = [], unreadable: string[] = [];
  const h = host.toLowerCase();
  const matches = (x: unknown) => typeof x === 'string' && (x.toLowerCase() === h || (x.startsWith('*.') && h.endsWith(x.slice(1).toLowerCase()) && h.split('.').length === x.split('.').length));
  const scan = async (kind: string, what: string, path: string, hostsOf: (o: Record<string, any>) => unknown[]) => {
    try {
      const items = await s.list<Record<string, any>>(path, signal, { maxItems: 2000 });
      searched.push(what);
      for (const o of items) if (hostsOf(o).some(matches)) routes.push(`${kind} ${o['metadata']?.['namespace'] ? `${o['metadata']['namespace']}/` : ''}${o['metadata']['name']}`);
      return true;
    } catch (e) {
      if (e instanceof KubeError && (e.kind === 'forbidden' || e.kind === 'not-found')) { if (e.kind === 'forbidden') unreadable.push(what); return false; }
      throw e;
    }
  };
  const ingressHosts = (o: Record<string, any>) => (Array.isArray(o['spec']?.['rules']) ? o['spec']['rules'].map((r: any) => r?.['host']) : []);
  const routeHosts = (o: Record<string, any>) => (Array.isArray(o['spec']?.['hostnames']) ? o['spec']['hostnames'] : []);
  if (!(await scan('Ingress', 'Ingresses of all namespaces', '/apis/networking.k8s.io/v1/ingresses', ingressHosts))) await scan('Ingress', `Ingresses of namespace ${ns}`, `/apis/networking.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/ingresses`, ingressHosts);
  for (const [plural, kind] of [['httproutes', 'HTTPRoute'], ['grpcroutes', 'GRPCRoute']] as const) {
    if (!(await scan(kind, `${kind}s of all namespaces`, `/apis/gateway.networking.k8s.io/v1/${plural}`, routeHosts))) await scan(kind, `${kind}s of namespace ${ns}`, `/apis/gateway.networking.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/${plural}`, routeHosts);
  }
  return { routes, searched, unreadable };
}
