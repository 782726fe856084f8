// flyte.dataplane.api: per data plane, its API server answers with the credentials flyteadmin will
// use (the token and CA of the Secret flyteadmin mounts, read in the control plane), or, when that
// Secret cannot be read from here, through the local context of `--data-plane NAME=CONTEXT` (the
// result says which identity answered). Also exports the per-plane access the other data-plane
// checks share (one session per plane and run).
import { isObj, KubeError, kubeSession, probeSignal, type KubeSession } from '../../src/clients/kube.js';
import { isClusterInternal, isPrivateAddress } from '../../src/config/endpoints.js';
import type { Target } from '../../src/config/target.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Json } from '../../src/engine/types.js';
import type { CheckContext, Instance } from '../../src/engine/types.js';
import { endpointUrl, openContextSession, openTokenSession, planeKubectl, readPlaneSecret, type DataPlane, type SecretRead } from '../../src/flyte/dataplanes.js';
import { DOCS_MULTICLUSTER } from './dataplane.config.js';
import { withTimeout } from '../../src/engine/budget.js';

/** Details as JSON (drops the optional-undefined union members object literals infer). */
const J = (d: Record<string, unknown>): Record<string, Json> => JSON.parse(JSON.stringify(d)) as Record<string, Json>;

/** Data planes reached over the network from here: configured (or given a context), not this cluster itself. */
export function remoteInstances(t: Target): Instance[] {
  return (t.dataPlanes?.planes ?? []).filter((p) => !p.local && !p.implicit && (p.index !== undefined || p.context)).map((p) => ({ key: p.name, label: `data plane ${p.name}` }));
}

export interface PlaneAccess {
  plane: DataPlane;
  /** What the control plane's Secret gave (undefined: not tried, e.g. an inCluster entry). */
  secret?: SecretRead;
  /** flyteadmin's identity: the Secret's token and CA against the endpoint. */
  flyteadmin?: KubeSession;
  flyteadminError?: KubeError;
  /** The operator's identity through --data-plane NAME=CONTEXT. */
  operator?: KubeSession;
  operatorError?: KubeError;
  server?: string;
  /** The context's API server is not the configured endpoint (another cluster, or another address of it). */
  contextServerDiffers?: string;
}

export function planeOf(ctx: CheckContext): DataPlane {
  const p = ctx.target.dataPlanes?.planes.find((x) => x.name === ctx.instance?.key);
  if (!p) throw new Error(`no data plane ${ctx.instance?.key ?? ''} in the target`);
  return p;
}

/** The sessions to a data plane, opened once per run (closed at the end of the run). */
export function planeAccess(ctx: CheckContext, p: DataPlane): Promise<PlaneAccess> {
  const ua = `flyte-doctor (run ${ctx.runId})`;
  const add = (s: string) => ctx.addSecret(s);
  return ctx.shared(`dataplane:${p.name}`, async (runSignal) => {
    const a: PlaneAccess = { plane: p };
    const url = p.endpoint ? endpointUrl(p.endpoint) : undefined;
    if (url) a.server = url.origin;
    if (p.index !== undefined && !p.inCluster) {
      const signal = withTimeout(runSignal, Math.max(500, Math.min(5000, ctx.remainingMs() - 500)));
      try {
        const cp = await kubeSession(ctx);
        a.secret = await readPlaneSecret(cp, ctx.target.kubernetes.namespace, p, signal, add);
      } catch (e) {
        if (!(e instanceof KubeError)) throw e;
        a.secret = { kind: 'error', namespace: ctx.target.kubernetes.namespace, secret: p.token?.secret ?? '?', error: e };
      }
      if (a.secret.kind === 'ok' && url && a.secret.caEncoding !== 'not-pem') {
        try { a.flyteadmin = await openTokenSession(url.origin + url.pathname.replace(/\/$/, ''), a.secret.token, a.secret.caPem, ctx.target.kubernetes.namespace, add, ua); } catch (e) {
          if (!(e instanceof KubeError)) throw e;
          a.flyteadminError = e;
        }
      }
    }
    if (p.context) {
      try { a.operator = await openContextSession(ctx.target.kubernetes, p.context, add, ua); } catch (e) {
        if (!(e instanceof KubeError)) throw e;
        a.operatorError = e;
      }
      if (a.operator && !a.server) a.server = a.operator.identity.server;
      else if (a.operator && a.server && hostPortOf(a.operator.identity.server).key !== hostPortOf(a.server).key) a.contextServerDiffers = a.operator.identity.server;
    }
    return a;
  }, (a) => { a.flyteadmin?.close(); a.operator?.close(); });
}

/** host:port of a server URL for cause keys. */
export function hostPortOf(server: string): { host: string; port: number; key: string } {
  try {
    const u = new URL(server);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const port = Number(u.port || (u.protocol === 'http:' ? 80 : 443));
    return { host, port, key: hostPortKey(host, port) };
  } catch { return { host: server, port: 443, key: server.toLowerCase() }; }
}

type ProbeId = 'dnsFailed' | 'unreachable' | 'tlsUntrusted' | 'tlsHostname' | 'tlsExpired' | 'tlsFailed' | 'tokenRejected' | 'forbidden' | 'notKubernetes' | 'apiError' | 'contextInvalid';

/**
 * A data plane whose endpoint is a cluster-internal name or a private address, that does not answer
 * from this machine: the control plane's pods may well reach it (VPC peering, a private endpoint).
 * Said as such, not as a confident failure; --in-cluster dials it as flyteadmin does.
 */
function privateNotFromHere(ctx: CheckContext, e: KubeError, p: DataPlane, server: string): { status: 'warn'; messageId: 'notFromHere'; cause: string; message: string; hint: string; details: Record<string, Json> } | undefined {
  if (ctx.target.inCluster || !['dns', 'refused', 'timeout', 'network'].includes(e.kind)) return undefined;
  const hp = hostPortOf(server);
  const internal = isClusterInternal(hp.host), priv = isPrivateAddress(hp.host);
  if (!internal && !priv) return undefined;
  return { status: 'warn', messageId: 'notFromHere', cause: cause.unreachable(hp.key),
    message: `${p.name}: ${server} is ${internal ? 'a cluster-internal name' : 'a private address'} and does not answer from this machine (${e.message}): whether flyteadmin's pods reach it cannot be judged from here`,
    hint: `run \`flyte-doctor verify --in-cluster\` in the control plane (it dials the data plane as flyteadmin does), or pass --data-plane ${p.name}=<context> for a kubeconfig context that reaches it (VPN, bastion)`,
    details: { server, error: e.message } };
}

/** A KubeError met while talking to a data plane as a finding: what answered, the cause, the fix. */
export function planeFailure(e: KubeError, p: DataPlane, server: string, who: string, via: 'secret' | 'context', ns: string, secretName: string): { id: ProbeId; message: string; hint: string; cause: string } {
  const hp = hostPortOf(server);
  const k = planeKubectl({}, p);
  const src = via === 'secret' ? `the Secret ${ns}/${secretName}` : `context ${p.context}`;
  const endpointKey = via === 'secret' ? `configmap.clusters.clusterConfigs[${p.index}].endpoint` : `the server of context ${p.context}`;
  switch (e.kind) {
    case 'dns':
      return { id: 'dnsFailed', cause: cause.dns(hp.host), message: `${p.name}: the host of ${server} does not resolve (${e.extra.code ?? 'DNS'})`, hint: `fix ${endpointKey} (\`${k} cluster-info\` prints the API server URL); it must resolve from flyteadmin's pods too` };
    case 'refused': case 'timeout': case 'network': case 'proxy':
      return { id: 'unreachable', cause: cause.unreachable(hp.key), message: `${p.name}: nothing answers at ${server} (${e.message})`, hint: `check ${endpointKey} and the network path to the data plane's API server (firewall, private endpoint, security group allowing the control plane); \`${k} get --raw /readyz\`` };
    case 'tls-untrusted':
      return { id: 'tlsUntrusted', cause: cause.tls('untrusted', hp.key), message: `${p.name}: ${server}'s certificate is not signed by the CA ${via === 'secret' ? `in ${src} (key ${p.ca?.key})` : `of ${src}`} (${e.extra.code ?? 'untrusted'})`,
        hint: via === 'secret' ? `put the data plane's CA into ${src}: \`${k} get secret -n ${ns} <flyteadmin token secret> -o jsonpath='{.data.ca\\.crt}'\` is the value of key ${p.ca?.key} (under data:); the CA of another cluster is the usual mistake` : `fix the certificate-authority of context ${p.context}` };
    case 'tls-hostname':
      return { id: 'tlsHostname', cause: cause.tls('name', hp.key), message: `${p.name}: ${server}'s certificate does not cover ${hp.host}: ${e.message}`, hint: `use a name the API server's certificate covers in ${endpointKey} (\`${k} cluster-info\`), or add it to the API server's certificate SANs` };
    case 'tls-expired':
      return { id: 'tlsExpired', cause: cause.tls('expired', hp.key), message: `${p.name}: ${server}'s certificate is not valid now (${e.extra.code ?? 'expired'})`, hint: 'renew the data plane API server certificate (kubeadm: `kubeadm certs renew apiserver`; managed clusters rotate it themselves)' };
    case 'tls-plaintext': case 'tls-expected': case 'tls-other': case 'tls-client-cert':
      return { id: 'tlsFailed', cause: cause.tls(e.kind === 'tls-plaintext' ? 'plaintext' : 'handshake', hp.key), message: `${p.name}: TLS with ${server} failed: ${e.message}`, hint: `${endpointKey} must be the https URL of the API server (usually port 443 or 6443): \`${k} cluster-info\`` };
    case 'unauthorized':
      return { id: 'tokenRejected', cause: cause.credentials('kubernetes', who), message: `${p.name}: ${server} rejected the token ${via === 'secret' ? `of ${src} (key ${p.token?.key})` : `of ${src}`} (401): it is expired, revoked, or from another cluster`,
        hint: via === 'secret' ? `make a long-lived token for flyteadmin in the data plane (a Secret of type kubernetes.io/service-account-token with annotation kubernetes.io/service-account.name: flyteadmin, in ${ns}) and copy its data.token into key ${p.token?.key} of ${src} (\`${k} get secret -n ${ns} <name> -o jsonpath='{.data.token}'\`, under data:); then restart flyteadmin` : `refresh the credentials of context ${p.context} (\`${k} auth whoami\`)` };
    case 'forbidden':
      return { id: 'forbidden', cause: cause.denied('kubernetes', who, 'discovery'), message: `${p.name}: ${server} authenticates the token but refuses discovery (403): ${e.message}`, hint: `the identity has no rights at all in the data plane: bind flyteadmin's ServiceAccount there (the flyte-core data-plane install creates the ClusterRole binding when flyteadmin.serviceAccount.alwaysCreate: true); \`${k} auth can-i --list\`` };
    case 'bad-response': case 'not-found':
      return { id: 'notKubernetes', cause: cause.wrongService(hp.key), message: `${p.name}: ${server} does not answer like a Kubernetes API server: ${e.message}`, hint: `${endpointKey} points at another service (a load balancer page, the ingress, a proxy): use the API server URL (\`${k} cluster-info\`)` };
    case 'server-error': case 'throttled': case 'http':
      return { id: 'apiError', cause: cause.backend(`kube-apiserver@${hp.key}`), message: `${p.name}: ${server} failed the request: ${e.message}`, hint: `the data plane's API server is unhealthy: \`${k} get --raw /readyz?verbose\`` };
    default:
      return { id: 'contextInvalid', cause: cause.config(via === 'context' ? `--data-plane ${p.name}` : `configmap.clusters.clusterConfigs[${p.index}]`), message: `${p.name}: the credentials of ${src} cannot be used: ${e.message}`,
        hint: via === 'context' ? `fix context ${p.context} in the kubeconfig or pass another with --data-plane ${p.name}=<context> (\`kubectl config get-contexts\`)` : `fix the token/CA values in ${src}` };
  }
}

/** What flyteadmin needs in a data plane (flyteadmin/pkg/workflowengine, clusterresource sync). */
function neededRights(t: Target): { verb: string; group: string; resource: string; namespace?: string }[] {
  const ns = t.projects[0] && t.domains[0] ? `${t.projects[0]}-${t.domains[0]}` : undefined;
  return [
    ...['create', 'get', 'delete'].map((verb) => ({ verb, group: 'flyte.lyft.com', resource: 'flyteworkflows', ...(ns ? { namespace: ns } : {}) })),
    { verb: 'create', group: '', resource: 'namespaces' },
    { verb: 'get', group: '', resource: 'namespaces' },
  ];
}

export default defineCheck({
  id: 'flyte.dataplane.api',
  title: 'Each data plane\'s API server answers with the credentials flyteadmin uses',
  phases: ['preflight', 'verify'],
  needs: ['dataplanes'],
  dependsOn: ['flyte.dataplane.config'],
  instances: remoteInstances,
  timeoutMs: 15_000,
  messages: {
    reachable: { status: 'pass', summary: 'The API server answers flyteadmin\'s token (from the mounted Secret, CA verified), and the token may create FlyteWorkflows and namespaces.' },
    reachableViaContext: { status: 'pass', summary: 'The API server answers through the --data-plane context (the operator\'s identity, not flyteadmin\'s).' },
    inCluster: { status: 'skip', summary: 'The entry is flyteadmin\'s own cluster: kubernetes.api.reachable checks it.' },
    noEndpoint: { status: 'skip', summary: 'No usable endpoint and no --data-plane context (flyte.dataplane.config reports why).' },
    secretMissing: { status: 'fail', summary: 'The Secret flyteadmin mounts for the token and CA does not exist in the control plane.' },
    secretKeyMissing: { status: 'fail', summary: 'The Secret lacks the key the token or CA file is read from.' },
    credentialEncoding: { status: 'fail', summary: 'The token or CA in the Secret is base64-encoded twice or not PEM.' },
    secretUnreadable: { status: 'warn', summary: 'The credentials Secret cannot be read from here and no --data-plane context is given: cannot be checked from this machine.' },
    dnsFailed: { status: 'fail', summary: 'The endpoint\'s host does not resolve.' },
    unreachable: { status: 'fail', summary: 'Nothing answers at the endpoint (refused, timeout, reset).' },
    notFromHere: { status: 'warn', summary: 'The endpoint is a cluster-internal name or a private address that does not answer from this machine: whether flyteadmin reaches it cannot be judged from here.' },
    tlsUntrusted: { status: 'fail', summary: 'The API server\'s certificate is not signed by the CA flyteadmin uses.' },
    tlsHostname: { status: 'fail', summary: 'The API server\'s certificate does not cover the endpoint\'s host.' },
    tlsExpired: { status: 'fail', summary: 'The API server\'s certificate is expired or not yet valid.' },
    tlsFailed: { status: 'fail', summary: 'TLS fails (plain HTTP port, handshake refused).' },
    tokenRejected: { status: 'fail', summary: 'The API server rejects the token (401): expired, revoked, or from another cluster.' },
    forbidden: { status: 'fail', summary: 'The token authenticates but may not even read discovery (403).' },
    rbacMissing: { status: 'fail', summary: 'The token authenticates but may not create/get/delete FlyteWorkflows or create namespaces (RBAC).' },
    notKubernetes: { status: 'fail', summary: 'The endpoint answers, but not as a Kubernetes API server.' },
    apiError: { status: 'fail', summary: 'The API server answers with a server error.' },
    contextInvalid: { status: 'fail', summary: 'The --data-plane context (or the Secret\'s credentials) cannot be used (missing context, bad credentials).' },
  },
  explain: {
    what: 'For each data plane of `configmap.clusters.clusterConfigs`: reads the Secret flyteadmin mounts (`flyteadmin.additionalVolumes`) in the control plane, then calls the data plane\'s API server at `endpoint` with its token and CA exactly as flyteadmin does (discovery, version, SelfSubjectAccessReviews for FlyteWorkflows and namespaces). When the Secret may not be read from here, uses the local context of `--data-plane NAME=CONTEXT` and says that the identity is yours.',
    why: 'flyteadmin creates every execution as a FlyteWorkflow in the data plane chosen for it: an unreachable endpoint, a CA of another cluster, an expired token or missing RBAC fails every execution routed there ("failed to create workflow in propeller").',
    fix: `Copy the data plane's flyteadmin token and CA (a kubernetes.io/service-account-token Secret there) into the control plane's credentials Secret, and set the endpoint to the API server URL (\`kubectl cluster-info\`); see ${DOCS_MULTICLUSTER}.`,
  },
  async run(ctx) {
    const p = planeOf(ctx);
    const ns = ctx.target.kubernetes.namespace;
    if (p.inCluster) return { status: 'skip', messageId: 'inCluster', message: `${p.name} is flyteadmin's own cluster (inCluster: true): kubernetes.api.reachable checks it` };
    const a = await planeAccess(ctx, p);
    const sr = a.secret;
    const secretName = sr && 'secret' in sr ? sr.secret : p.token?.secret ?? '?';
    const k = planeKubectl(ctx.target.kubernetes, p);
    // Findings of the Secret itself: flyteadmin cannot start with them, whatever answers from here.
    if (sr?.kind === 'missing') {
      return { status: 'fail', messageId: 'secretMissing', cause: cause.object('secret', ns, sr.secret), details: J({ secret: `${ns}/${sr.secret}` }),
        message: `${p.name}: Secret ${ns}/${sr.secret}, which flyteadmin mounts for ${p.token?.path} and ${p.ca?.path}, does not exist in the control plane: the flyteadmin pod cannot start (FailedMount)`,
        hint: `create it in the control plane: \`kubectl create secret generic ${sr.secret} -n ${ns} --from-file=${p.token?.key}=<token file> --from-file=${p.ca?.key}=<ca.crt>\` with the token and ca.crt of flyteadmin's token Secret in the data plane (\`${k} get secret -n ${ns} <name> -o jsonpath='{.data.token}' | base64 -d\`)` };
    }
    if (sr?.kind === 'key-missing') {
      return { status: 'fail', messageId: 'secretKeyMissing', cause: cause.object('secret', ns, sr.secret), details: J({ secret: `${ns}/${sr.secret}`, keys: sr.keys, missing: sr.missing }),
        message: `${p.name}: Secret ${ns}/${sr.secret} has no key ${sr.missing.join(' or ')} (it has ${sr.keys.join(', ') || 'no keys'}): flyteadmin cannot read ${sr.missing.map((m) => (m === p.token?.key ? p.token?.path : p.ca?.path)).join(' and ')} and does not start`,
        hint: `add ${sr.missing.join(' and ')} to Secret ${ns}/${sr.secret} (data: base64 of the data plane's token / ca.crt), or point ${`configmap.clusters.clusterConfigs[${p.index}].auth`} at the keys it has` };
    }
    if (sr?.kind === 'ok' && (sr.tokenEncoding === 'base64-twice' || sr.caEncoding)) {
      const which = [sr.tokenEncoding === 'base64-twice' ? `the token (key ${sr.tokenKey}) is base64-encoded twice` : '', sr.caEncoding === 'base64-twice' ? `the CA (key ${sr.caKey}) is base64-encoded twice` : sr.caEncoding === 'not-pem' ? `the CA (key ${sr.caKey}) is not a PEM certificate` : ''].filter(Boolean);
      return { status: 'fail', messageId: 'credentialEncoding', cause: cause.object('secret', ns, sr.secret), details: J({ secret: `${ns}/${sr.secret}`, ...(sr.tokenEncoding ? { token: sr.tokenEncoding } : {}), ...(sr.caEncoding ? { ca: sr.caEncoding } : {}) }),
        message: `${p.name}: in Secret ${ns}/${sr.secret} ${which.join(' and ')}: flyteadmin reads the files as they are${sr.tokenEncoding === 'base64-twice' ? ' and sends the base64 text as its token (401)' : ' and cannot load the CA'}`,
        hint: 'the values copied with `-o jsonpath=\'{.data.token}\'` / `{.data.ca\\.crt}` are already base64: put them under `data:` (not `stringData:`), or decode them (`| base64 -d`) for stringData / --from-file' };
    }
    let via: 'secret' | 'context';
    let s: KubeSession | undefined;
    let note = '';
    if (a.flyteadmin) { via = 'secret'; s = a.flyteadmin; }
    else if (a.flyteadminError) {
      const nf = privateNotFromHere(ctx, a.flyteadminError, p, a.server ?? p.endpoint ?? '?');
      if (nf) return nf;
      const f = planeFailure(a.flyteadminError, p, a.server ?? p.endpoint ?? '?', `flyteadmin@${hostPortOf(a.server ?? '').key}`, 'secret', ns, secretName);
      return { status: 'fail', messageId: f.id, cause: f.cause, message: f.message, hint: f.hint, details: J({ via: 'secret', error: a.flyteadminError.message }) };
    } else if (a.operator) {
      via = 'context'; s = a.operator;
      note = sr?.kind === 'forbidden' ? `; Secret ${ns}/${sr.secret} may not be read from here (403), so flyteadmin's own token was not tried`
        : sr?.kind === 'untraceable' ? `; flyteadmin's token was not tried: ${sr.why}` : sr?.kind === 'error' ? `; the Secret could not be read (${sr.error.message})` : !p.endpoint ? '' : '';
    } else if (a.operatorError) {
      const nf = privateNotFromHere(ctx, a.operatorError, p, a.server ?? '?');
      if (nf) return nf;
      const f = planeFailure(a.operatorError, p, a.server ?? '?', `${p.context}`, 'context', ns, secretName);
      return { status: 'fail', messageId: f.id, cause: f.cause, message: f.message, hint: f.hint, details: J({ via: 'context', context: p.context ?? '', error: a.operatorError.message }) };
    } else {
      if (!a.server) return { status: 'skip', messageId: 'noEndpoint', message: `${p.name}: no usable endpoint in the values and no --data-plane ${p.name}=<context> (see flyte.dataplane.config)` };
      const why = sr?.kind === 'forbidden' ? `the Secret ${ns}/${sr.secret} with flyteadmin's token and CA may not be read with your credentials (403)`
        : sr?.kind === 'untraceable' ? `flyteadmin's token and CA are not traced to a Secret (${sr.why})`
          : sr?.kind === 'error' ? `the Secret ${ns}/${sr.secret} could not be read (${sr.error.message})` : 'no credentials are known';
      // No cause key: each data plane has its own way out (its own --data-plane flag).
      return { status: 'warn', messageId: 'secretUnreadable', details: J({ endpoint: a.server, reason: why }),
        message: `${p.name}: cannot be checked from this machine: ${why}, and no local context is given for it`,
        hint: `pass a kubeconfig context of the data plane: --data-plane ${p.name}=<context>; or run as someone who may \`kubectl auth can-i get secret/${secretName} -n ${ns}\`` };
    }
    const server = s.identity.server;
    const sub = via === 'secret' && sr?.kind === 'ok' ? sr.claims?.sub : undefined;
    const who = via === 'secret' ? `flyteadmin (token of Secret ${ns}/${secretName}, key ${p.token?.key}${sub ? `: ${sub}` : ''})` : `your context ${p.context} (user ${s.identity.user}), not flyteadmin's token`;
    const whoKey = via === 'secret' ? `flyteadmin@${hostPortOf(server).key}` : `${s.identity.user}@${hostPortOf(server).key}`;
    // A stalled API server costs at most 8 s (client-go's own dial/TLS timeouts are of that order).
    const signal = probeSignal(ctx.signal, Math.max(300, Math.min(8000, ctx.remainingMs() - 500)));
    let version = '';
    try {
      const api = await s.get<Record<string, unknown>>('/api', signal);
      if (api['kind'] !== 'APIVersions' || !Array.isArray(api['versions'])) throw new KubeError('bad-response', `GET /api answered ${JSON.stringify(api).slice(0, 80)}, not an APIVersions object`, { request: 'GET /api' });
      const v = await s.get<Record<string, unknown>>('/version', signal).catch(() => undefined);
      version = v && typeof v['gitVersion'] === 'string' ? v['gitVersion'] : '';
    } catch (e) {
      if (ctx.signal.aborted) throw e;
      if (!(e instanceof KubeError)) { if (e instanceof TypeError) throw e; throw e; }
      const nf = privateNotFromHere(ctx, e, p, server);
      if (nf) return nf;
      const f = planeFailure(e, p, server, whoKey, via, ns, secretName);
      const cl = via === 'secret' && sr?.kind === 'ok' ? sr.claims : undefined;
      const expired = cl?.exp !== undefined && cl.exp * 1000 <= Date.now();
      const about = f.id === 'tokenRejected' && cl ? ` (the token names ${cl.sub ?? 'no subject'}${cl.iss ? `, issued by ${cl.iss}` : ''}${cl.exp !== undefined ? `, ${expired ? 'expired' : 'expires'} ${new Date(cl.exp * 1000).toISOString()}` : ', no expiry'})` : '';
      return { status: 'fail', messageId: f.id, cause: f.cause, message: `${f.message}${about} [as ${who}]`, hint: f.hint, details: J({ via, server, error: e.message, ...(cl && f.id === 'tokenRejected' ? { tokenSubject: cl.sub, tokenIssuer: cl.iss, tokenExpires: cl.exp !== undefined ? new Date(cl.exp * 1000).toISOString() : undefined, tokenExpired: expired } : {}) }) };
    }
    const details = J({ via, server, version, ...(via === 'secret' ? { secret: `${ns}/${secretName}`, tokenKey: p.token?.key ?? '', caKey: p.ca?.key ?? '' } : { context: p.context ?? '', user: s.identity.user }) });
    if (via === 'context') {
      const differs = a.contextServerDiffers && p.endpoint ? `; note: context ${p.context} talks to ${a.contextServerDiffers}, not to the configured endpoint ${p.endpoint}: make sure both are the same cluster` : '';
      return { status: 'pass', messageId: 'reachableViaContext', details, message: `${p.name}: ${server} answers as Kubernetes ${version || '(version unknown)'} as ${who}${note}${differs}` };
    }
    // What flyteadmin must be allowed to do there.
    const rights = neededRights(ctx.target);
    let denied: string[] = [];
    try {
      const ds = await s.canI(rights, signal);
      denied = ds.filter((d) => !d.allowed).map((d) => `${d.verb} ${d.resource}${d.group ? `.${d.group}` : ''}${d.namespace ? ` in ${d.namespace}` : ''}`);
    } catch (e) {
      if (ctx.signal.aborted || !(e instanceof KubeError)) throw e;
      denied = [];
      note = `; the token's rights could not be reviewed (${e.message})`;
    }
    if (denied.length) {
      return { status: 'fail', messageId: 'rbacMissing', cause: cause.denied('kubernetes', whoKey, denied[0]!), details: J({ ...details, denied }),
        message: `${p.name}: ${server} accepts flyteadmin's token but it may not ${denied.join(', ')}: executions routed to ${p.name} fail to launch`,
        hint: `bind the token's ServiceAccount to the flyteadmin ClusterRole in the data plane (the flyte-core data-plane install does, for ServiceAccount flyteadmin); make sure the Secret's token is flyteadmin's (\`${k} auth can-i create flyteworkflows.flyte.lyft.com --as=system:serviceaccount:${ns}:flyteadmin -n ${rights[0]!.namespace ?? '<project>-<domain>'}\`)` };
    }
    return { status: 'pass', messageId: 'reachable', details, message: `${p.name}: ${server} answers as Kubernetes ${version || '(version unknown)'} with ${who}; CA verified; it may create FlyteWorkflows and namespaces${note}` };
  },
});

/** isObj re-export for the sibling checks. */
export { isObj };
