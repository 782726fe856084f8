// Shared by every check that reads the Kubernetes API (kubernetes.*, flyte.* component checks,
// dns.ingress.address): the findings for an API failure in the middle of a check (401, 403, 429,
// 5xx, an answer that is not Kubernetes, a connection lost), so every such check says the same
// thing with the same cause key, and none ends as an `error` (a misbehaving server is a finding).
import { frontAnswer, frontNetworkFix, statusFault } from '../../src/clients/answers.js';
import { KubeError, EXEC_REFRESH, basename, kubeSession, kubectl, probeSignal, type KubeSession } from '../../src/clients/kube.js';
import { refusedSubject } from '../../src/clients/whoami.js';
import type { KubernetesTarget } from '../../src/config/target.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import type { CheckContext, Messages, Outcome } from '../../src/engine/types.js';

/** Findings every Kubernetes-reading check declares (spread into its `messages`). */
export const API_MESSAGES = {
  apiUnauthorized: { status: 'fail', summary: 'The API server rejected the credentials (401) while this check ran.' },
  apiImpersonationDenied: { status: 'fail', summary: 'The kubeconfig impersonates another identity (as / as-groups) and the API server refuses the impersonation (403).' },
  apiForbidden: { status: 'warn', summary: 'The identity may not read what this check needs (403), so it cannot be checked with these credentials.' },
  apiUnreachable: { status: 'fail', summary: 'The API server stopped answering (timeout, refused, reset, TLS) while this check ran.' },
  apiThrottled: { status: 'warn', summary: 'The API server throttled the requests (429 Too Many Requests).' },
  apiServerError: { status: 'fail', summary: 'The API server answered with a server error (5xx).' },
  apiBadResponse: { status: 'fail', summary: 'The API server answered with something that is not a Kubernetes API answer (HTML, an unexpected JSON shape).' },
  apiNotServed: { status: 'fail', summary: 'The API server does not serve a resource this check reads (404 on a list or API group).' },
  apiError: { status: 'fail', summary: 'The API server refused a request of this check with another HTTP status.' },
  apiFrontAnswered: { status: 'fail', summary: 'Something in front of the API server (a proxy, a captive portal, a web filter, a CDN or load balancer) answered a request of this check for itself (401, 403, 407, 408, 451, 511, 561, 505, 520-530...) without the Status object every API server answer carries.' },
  apiCredentials: { status: 'fail', summary: 'The credentials of the context could not be obtained (see kubernetes.config.load).' },
} as const satisfies Messages;

export type ApiMessageId = keyof typeof API_MESSAGES;

/** host:port of the API server URL, as cause keys spell it. */
export function serverHostPort(server: string): string {
  try { const u = new URL(server); return hostPortKey(u.hostname.replace(/^\[|\]$/g, ''), u.port || (u.protocol === 'http:' ? 80 : 443)); } catch { return server.toLowerCase(); }
}

/** The identity as cause keys name it: `user@host:port`. */
export function identityKey(s: Pick<KubeSession, 'identity'>): string {
  return `${s.identity.user || 'anonymous'}@${serverHostPort(s.identity.server)}`;
}

/** How to get fresh credentials of the kind the context uses (for 401s). */
export function refreshHint(s: KubeSession, k: string): string {
  const id = s.identity;
  switch (id.auth) {
    case 'exec': {
      const known = EXEC_REFRESH[basename(id.execCommand ?? '')];
      return `the token from the exec plugin \`${id.execCommand}\` was refused: ${known ?? 'log in again with the tool that provides it and re-run `' + (id.execCommand ?? '') + '`'}; then check with \`${k} auth whoami\``;
    }
    case 'token':
      return `the bearer token of user "${id.user}" is expired or revoked: get a new one (a ServiceAccount: \`kubectl create token <serviceaccount> -n <namespace>\`; a cloud cluster: \`aws eks update-kubeconfig\`, \`gcloud container clusters get-credentials\`, \`az aks get-credentials\`) and store it with \`kubectl config set-credentials ${id.user} --token=<new token>\`; check with \`${k} auth whoami\``;
    case 'token-file':
      return `the token in ${id.tokenFile} (tokenFile of user "${id.user}") was refused: it is expired or for another cluster; refresh the file (a projected ServiceAccount token rotates; \`kubectl create token <serviceaccount>\` makes a new one)`;
    case 'client-certificate':
      return `the client certificate of user "${id.user}" was refused${id.clientCertNotAfter ? ` (valid until ${id.clientCertNotAfter})` : ''}: it is expired, revoked or signed by a CA the API server does not trust; issue a new one (kubeadm: \`kubeadm kubeconfig user --client-name <name>\`; managed clusters: the provider's get-credentials command) and set it with \`kubectl config set-credentials ${id.user} --client-certificate=<crt> --client-key=<key> --embed-certs\``;
    case 'basic':
      return `the username/password of user "${id.user}" was refused; kube-apiserver removed basic authentication in 1.19: use a token, a client certificate or the provider's exec plugin instead`;
    case 'auth-provider':
      return id.authProvider === 'oidc'
        ? `the oidc id-token of user "${id.user}" was refused: log in again (\`kubectl oidc-login\` / your IdP's login), then check with \`${k} auth whoami\``
        : `the ${id.authProvider} auth-provider was removed from kubectl in 1.26: switch to the exec plugin (${id.authProvider === 'gcp' ? '`gcloud components install gke-gcloud-auth-plugin` and `gcloud container clusters get-credentials <cluster>`' : '`kubelogin convert-kubeconfig -l azurecli`'})`;
    default:
      return `user "${id.user}" sends no credentials (anonymous): add them to the kubeconfig (\`kubectl config set-credentials ...\` or the provider's get-credentials command)`;
  }
}

/**
 * A 403 for impersonation (the kubeconfig user's `as` / `as-groups` / `as-uid` / `as-user-extra`, or --as):
 * every request carries the Impersonate-* headers, so the authenticated identity lacks the
 * `impersonate` verb; granting it read rights (view) changes nothing. Undefined for other 403s.
 */
export function impersonationDenied(e: KubeError, s: KubeSession | undefined, k: string): { message: string; hint: string; cause: string } | undefined {
  if (e.kind !== 'forbidden' || e.extra.verb !== 'impersonate') return undefined;
  const res = (e.extra.resource ?? 'users').split('/')[0]!;
  const field = res === 'groups' ? 'as-groups' : res === 'uids' ? 'as-uid' : res === 'userextras' ? 'as-user-extra' : 'as';
  const who = /User "([^"]+)" cannot impersonate/.exec(e.message)?.[1] ?? s?.identity.user ?? '<you>';
  const target = e.extra.name ?? '<name>';
  const kcUser = s?.identity.user ?? '<user>';
  return {
    message: `the kubeconfig asks to act as ${res === 'users' ? 'user' : res.replace(/s$/, '')} "${target}" (${field} of user "${kcUser}") but "${who}" may not impersonate ${res} (403): every request is refused, whatever its own rights`,
    hint: `drop the impersonation (\`kubectl config unset users.${kcUser}.${field}\`, or run without --as), or a cluster admin grants it: \`kubectl create clusterrole impersonate-${target.replace(/[^a-z0-9-]/gi, '-').toLowerCase()} --verb=impersonate --resource=${res} --resource-name=${target}\` and \`kubectl create clusterrolebinding impersonate-${target.replace(/[^a-z0-9-]/gi, '-').toLowerCase()} --clusterrole=impersonate-${target.replace(/[^a-z0-9-]/gi, '-').toLowerCase()} --user=${who}\`; check with \`${k} auth can-i impersonate ${res}/${target}\``,
    cause: cause.denied('kubernetes', who, `impersonate ${res}/${target}`),
  };
}

/**
 * What stands in front of the API server answered for itself: a status kube-apiserver only ever sends with a
 * Status object (every 401/403, and those that are never its own: 407, 408, 410, 451, 511, 561, a protocol
 * fault's 421/426/505, a proxy's size limits, nginx's 494-497, a CDN's 520-530, a loop's 508) arrived without
 * one (KubeError `extra.body` set: httpError kept the text of a body that was not a Status). The reading is
 * answers.ts's; `fix` is the network's own (portal, filter, proxy credentials) or the fault's, undefined when only
 * "look at what is in front" can be said. undefined: the API server's own answer, or a status judged elsewhere
 * (404, 429, 500, 502-504).
 */
export function frontReading(e: KubeError, host: string): { kind: string; text: string; fix?: string } | undefined {
  const st = e.extra.status;
  if (e.extra.body === undefined || st === undefined) return undefined;
  if (!(['unauthorized', 'forbidden', 'not-found', 'http', 'server-error'] as const).some((k) => k === e.kind)) return undefined;
  // nginx sends its own 494-497 as "400 Bad Request" and names them only in the page's title
  const nginx400 = st === 400 ? [[/No required SSL certificate was sent/i, 496], [/SSL certificate error/i, 495], [/Request Header Or Cookie Too Large/i, 494]].find(([re]) => (re as RegExp).test(e.extra.body ?? '')) : undefined;
  if (nginx400) { const sf4 = statusFault({ status: nginx400[1] as number }, host)!; return { kind: sf4.kind, text: `400 with nginx's page for ${sf4.text}`, fix: sf4.fix }; }
  const f = frontAnswer({ status: st }, { subject: 'the API server' });
  const sf = statusFault({ status: st }, host);
  if (f) { const fix = frontNetworkFix(f.kind, host) ?? sf?.fix; return { kind: f.kind, text: f.text, ...(fix ? { fix } : {}) }; }
  if (sf) return { kind: sf.kind, text: sf.text, fix: sf.fix };
  if (st === 401) return { kind: 'auth-gateway', text: 'a gateway or proxy in front of the API server wants its own credentials' };
  if (st === 403) return { kind: 'auth-gateway', text: 'a gateway, proxy or firewall in front of the API server refuses the request' };
  return undefined;
}

/** The fix when a front answered and answers.ts has none of its own: look at the front, not at the credentials or the API server. */
export function frontGenericFix(kind: string, hp: string, k: string, request: string | undefined, proxy?: string): string {
  const path = JSON.stringify((request ?? 'GET /version').split(' ')[1] ?? '/version');
  if (kind === 'request-timeout') return `look at the timeouts of the proxy or load balancer in front of ${hp}${proxy ? ` (the requests go through ${proxy})` : ''}: it closes requests the API server would answer; \`${k} get --raw ${path} -v=8\` shows the same answer`;
  return `look at what sits in front of ${hp} (an authenticating gateway such as Rancher's or a cloud IAP, a corporate proxy or firewall${proxy ? `: the requests go through ${proxy}` : ''}); the kubeconfig's credentials never reached an API server, so refreshing them will not help unless the gateway is what issues them (\`${k} get --raw ${path} -v=8\` shows the same answer)`;
}

function what(e: KubeError): string {
  return e.extra.verb && e.extra.resource ? `${e.extra.verb} ${e.extra.resource}${e.extra.group ? `.${e.extra.group}` : ''}${e.extra.name ? `/${e.extra.name}` : ''}${e.extra.namespace ? ` in namespace ${e.extra.namespace}` : ''}` : (e.extra.request ?? 'the request');
}

/** The finding for a KubeError met in the middle of a check (after kubernetes.api.reachable passed). */
export function apiFailure(e: KubeError, ctx: CheckContext, s: KubeSession | undefined, purpose: string): Outcome<ApiMessageId> {
  const kt = ctx.target.kubernetes;
  const k = kubectl(kt);
  const server = s?.identity.server ?? '(API server)';
  const hp = s ? serverHostPort(s.identity.server) : 'kubernetes';
  const who = s ? identityKey(s) : 'kubernetes';
  const details = { kind: e.kind, error: e.message, ...(e.extra.status ? { httpStatus: e.extra.status } : {}), ...(e.extra.request ? { request: e.extra.request } : {}) };
  // An answer without a Status object comes from what stands in front (kubernetes.api.reachable says the same for /version).
  const front = frontReading(e, hp.replace(/:\d+$/, ''));
  if (front) {
    const seen = `${e.extra.request ?? 'a request'} answered HTTP ${e.extra.status}${e.extra.contentType ? ` ${e.extra.contentType.split(';')[0]}` : ''}${e.extra.body ? ` ("${e.extra.body.slice(0, 60)}")` : ''} without the Status object an API server sends`;
    return { status: 'fail', messageId: 'apiFrontAnswered', cause: cause.frontAuth(hp), details: { ...details, front: front.kind },
      message: `${server}: ${seen}, while reading ${purpose}: ${front.text}`, hint: front.fix ?? frontGenericFix(front.kind, hp, k, e.extra.request, s?.identity.proxy) };
  }
  switch (e.kind) {
    case 'unauthorized':
      return { status: 'fail', messageId: 'apiUnauthorized', cause: cause.credentials('kubernetes', who), details,
        message: `the API server rejected the credentials of user "${s?.identity.user ?? ''}" (401) while reading ${purpose}`, hint: s ? refreshHint(s, k) : `refresh the credentials: \`${k} auth whoami\`` };
    case 'forbidden': {
      const imp = impersonationDenied(e, s, k);
      if (imp) return { status: 'fail', messageId: 'apiImpersonationDenied', cause: imp.cause, details: { ...details, verb: 'impersonate', ...(e.extra.resource ? { resource: e.extra.resource } : {}) }, message: `${imp.message}; ${purpose} cannot be read`, hint: imp.hint };
      const w = what(e);
      // The API server names the identity it authenticated (a token's ServiceAccount, an impersonated user, a cloud IAM
      // mapping): a RoleBinding must name that one, not the kubeconfig's entry name.
      const kcUser = s?.identity.user ?? '';
      const subject = /User "([^"]*)" cannot /.exec(e.message)?.[1] ?? kcUser;
      const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(subject);
      const bindTo = sa ? `--serviceaccount=${sa[1]}:${sa[2]}` : `--user=${subject || '<you>'}`;
      if (subject === 'system:anonymous' && s) {
        // The API server saw no credentials at all: granting rights to system:anonymous opens the cluster; credentials are the fix.
        return { status: 'warn', messageId: 'apiForbidden', cause: cause.denied('kubernetes', s.identity.user || 'anonymous', what(e)), details: { ...details, subject },
          message: `the API server treats the requests as anonymous (system:anonymous: no credentials it accepts were sent) and may not ${what(e)} (403), so ${purpose} cannot be checked`, hint: refreshHint(s, k) };
      }
      const who = refusedSubject(e, kcUser).label;
      return { status: 'warn', messageId: 'apiForbidden', cause: cause.denied('kubernetes', s?.identity.user || 'anonymous', w), details: { ...details, ...(e.extra.verb ? { verb: e.extra.verb } : {}), ...(e.extra.resource ? { resource: e.extra.resource } : {}), ...(subject && subject !== kcUser ? { subject } : {}) },
        message: `${who} may not ${w} (403), so ${purpose} cannot be checked with these credentials`,
        hint: `check as a user who may, or grant it: \`${k} auth can-i ${e.extra.verb ?? 'get'} ${e.extra.resource ? `${e.extra.resource}${e.extra.group ? `.${e.extra.group}` : ''}${e.extra.name ? `/${e.extra.name}` : ''}` : '<resource>'}${e.extra.namespace ? ` -n ${e.extra.namespace}` : ''}\` shows the answer; a cluster admin can grant it (${e.extra.namespace
          ? `\`kubectl create rolebinding flyte-doctor-view --clusterrole=view ${bindTo} -n ${e.extra.namespace}\``
          : `\`kubectl create clusterrole flyte-doctor-read --verb=get,list --resource=${e.extra.resource ? `${e.extra.resource}${e.extra.group ? `.${e.extra.group}` : ''}` : '<resource>'}\` and \`kubectl create clusterrolebinding flyte-doctor-read --clusterrole=flyte-doctor-read ${bindTo}\``})` };
    }
    case 'timeout': case 'refused': case 'dns': case 'network': case 'proxy':
    case 'tls-untrusted': case 'tls-hostname': case 'tls-expired': case 'tls-plaintext': case 'tls-expected': case 'tls-client-cert': case 'tls-other':
      return { status: 'fail', messageId: 'apiUnreachable', cause: cause.unreachable(hp), details,
        message: `the API server ${server} stopped answering while reading ${purpose}: ${e.message}`, hint: `check the API server and the network path (\`${k} get --raw /readyz?verbose\`); kubernetes.api.reachable tells connection problems apart` };
    case 'throttled':
      return { status: 'warn', messageId: 'apiThrottled', cause: cause.backend('kube-apiserver'), details: { ...details, ...(e.extra.retryAfter ? { retryAfter: e.extra.retryAfter } : {}) },
        message: `the API server throttled the requests for ${purpose} (429 Too Many Requests${e.extra.retryAfter ? `, Retry-After ${/^\d+$/.test(e.extra.retryAfter.trim()) ? `${e.extra.retryAfter.trim()}s` : e.extra.retryAfter}` : ''})`, hint: `run again later; if it persists, look at API Priority and Fairness (\`${k} get --raw /debug/api_priority_and_fairness/dump_priority_levels\`) and what floods the API server` };
    case 'server-error':
      return { status: 'fail', messageId: 'apiServerError', cause: cause.backend('kube-apiserver'), details,
        message: `the API server failed while reading ${purpose}: ${e.message}`, hint: `the API server (or an aggregated API / webhook it calls) is unhealthy: \`${k} get --raw /readyz?verbose\` and \`${k} get apiservices\` show which part; the control plane logs say why` };
    case 'bad-response':
      return { status: 'fail', messageId: 'apiBadResponse', cause: cause.wrongService(hp), details: { ...details, ...(e.extra.contentType ? { contentType: e.extra.contentType } : {}) },
        message: `${server} does not answer like a Kubernetes API server while reading ${purpose}: ${e.message}`, hint: `the server URL may point at a proxy, a load balancer page or another service: \`${k} config view --minify\` shows it; \`${k} get --raw /api\` must answer a JSON APIVersions object` };
    case 'not-found':
      return { status: 'fail', messageId: 'apiNotServed', cause: cause.wrongService(hp), details,
        message: `the API server does not serve ${e.extra.request ?? 'a resource'} (404), needed for ${purpose}`, hint: `\`${k} api-resources\` lists what the server serves; the API group may be missing on this Kubernetes version or behind a proxy that rewrites paths` };
    case 'http':
      return { status: 'fail', messageId: 'apiError', cause: cause.backend('kube-apiserver'), details,
        message: `the API server refused ${e.extra.request ?? 'a request'} for ${purpose}: ${e.message}`, hint: `\`${k} get --raw ${JSON.stringify((e.extra.request ?? 'GET /').split(' ')[1] ?? '/')}\` reproduces it` };
    default:
      return { status: 'fail', messageId: 'apiCredentials', cause: cause.credentials('kubernetes', who), details,
        message: `the credentials of context "${kt.context ?? s?.identity.context ?? ''}" could not be used for ${purpose}: ${e.message}`, hint: 'see kubernetes.config.load for the fix; it runs the same step' };
  }
}

/** An Outcome whose details may hold undefined values (dropped when serialized). */
export type LooseOutcome<Id extends string> = Omit<Outcome<Id>, 'details'> & { details?: Record<string, unknown> };

/**
 * Runs a Kubernetes-reading check body with the run's session and a signal that fires before the
 * check's budget ends (so a stalled server is this check's finding, not the engine's timeout).
 * KubeErrors become apiFailure findings; a TypeError while reading an answer (a shape nothing
 * validated) becomes apiBadResponse instead of a crash.
 */
export async function withKube<Id extends string>(ctx: CheckContext, purpose: string, body: (s: KubeSession, signal: AbortSignal) => Promise<LooseOutcome<Id>>): Promise<Outcome<Id | ApiMessageId>> {
  let s: KubeSession | undefined;
  try {
    s = await kubeSession(ctx);
    const signal = probeSignal(ctx.signal, Math.max(200, ctx.remainingMs() - 400));
    return (await body(s, signal)) as Outcome<Id>;
  } catch (e) {
    if (ctx.signal.aborted) throw e; // the engine's own timeout or Ctrl-C
    if (e instanceof KubeError) return apiFailure(e, ctx, s, purpose);
    if (e instanceof TypeError) {
      const hp = s ? serverHostPort(s.identity.server) : 'kubernetes';
      return { status: 'fail', messageId: 'apiBadResponse', cause: cause.wrongService(hp), details: { kind: 'bad-response', error: e.message },
        message: `${s?.identity.server ?? 'the API server'} answered ${purpose} with a shape a Kubernetes API server does not send (${e.message})`, hint: `\`${kubectl(ctx.target.kubernetes)} get --raw /api\` must answer a JSON APIVersions object; the server URL may point at a proxy or another service` };
    }
    throw e;
  }
}

/** kubectl for hints, with the target's kubeconfig and context. */
export const kubectlFor = (k: KubernetesTarget, ns?: string) => kubectl(k, ns);

/** Why a namespace is stuck Terminating, from its status conditions and finalizers (the namespace controller's own words). */
export function terminatingNamespace(ns: unknown, name: string, k: string): { message: string; hint: string; details: Record<string, string | string[]> } {
  const o = isObjLocal(ns) ? ns : {};
  const md = isObjLocal(o['metadata']) ? o['metadata'] : {};
  const spec = isObjLocal(o['spec']) ? o['spec'] : {};
  const st = isObjLocal(o['status']) ? o['status'] : {};
  const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const finalizers = [...strs(spec['finalizers']), ...strs(md['finalizers'])];
  const conds = (Array.isArray(st['conditions']) ? st['conditions'] : []).filter(isObjLocal).filter((c) => c['status'] === 'True' && typeof c['type'] === 'string');
  const msg = (type: string) => { const c = conds.find((x) => x['type'] === type); return c ? String(c['message'] ?? c['reason'] ?? type) : undefined; };
  const discovery = msg('NamespaceDeletionDiscoveryFailure') ?? msg('NamespaceDeletionGroupVersionParsingFailure');
  const remaining = msg('NamespaceContentRemaining');
  const finRemaining = msg('NamespaceFinalizersRemaining');
  const contentFailure = msg('NamespaceDeletionContentFailure');
  const since = typeof md['deletionTimestamp'] === 'string' ? md['deletionTimestamp'] : '?';
  const why = [discovery, finRemaining, remaining, contentFailure].filter((x): x is string => !!x);
  const message = `namespace ${name} is being deleted (Terminating since ${since}) and new objects in it are rejected${why.length ? `: ${why.join('; ')}` : ''}${finalizers.length ? ` (namespace finalizers: ${finalizers.join(', ')})` : ''}`;
  // "flyteworkflows.flyte.lyft.com has 2 resource instances" / "flyte-finalizer in 2 resource instances"
  const resources = [...(remaining ?? '').matchAll(/([\w.-]+) has \d+ resource instances?/g)].map((m) => m[1]!);
  const objFinalizers = [...(finRemaining ?? '').matchAll(/([\w./-]+) in \d+ resource instances?/g)].map((m) => m[1]!);
  let hint: string;
  if (discovery) {
    const api = /([\w.-]+\/v[\w]+): /.exec(discovery)?.[1];
    hint = `the namespace controller cannot list every API to empty the namespace because an aggregated API is unavailable${api ? ` (${api})` : ''}: \`${k} get apiservices | grep False\`, then fix its backing Service or delete the stale APIService${api ? ` (\`kubectl delete apiservice ${api.split('/')[1]}.${api.split('/')[0]}\`)` : ''}; the deletion then completes`;
  } else if (finRemaining || resources.length) {
    const res = resources[0] ?? '<resource>';
    const fin = objFinalizers[0];
    hint = `objects in it still carry finalizers${fin ? ` (${fin})` : ''} that no controller removes${resources.length ? ` (${resources.join(', ')})` : ''}: list them with \`${k} get ${res} -n ${name}\` and, once their owner is really gone, clear them: \`${k} patch ${res} <name> -n ${name} --type merge -p '{"metadata":{"finalizers":null}}'\`; or install Flyte into another namespace (-n)`;
  } else {
    hint = `\`${k} get namespace ${name} -o jsonpath='{.status.conditions}'\` says what blocks the deletion; \`${k} api-resources --verbs=list --namespaced -o name | xargs -n1 ${k} get -n ${name} --ignore-not-found\` lists what remains; wait for it to finish or install into another namespace (-n)`;
  }
  return { message, hint, details: { namespace: name, phase: 'Terminating', since, finalizers, conditions: why, remainingResources: resources, objectFinalizers: objFinalizers } };
}

function isObjLocal(v: unknown): v is Record<string, any> { return typeof v === 'object' && v !== null && !Array.isArray(v); }
