// Root causes. A finding names the fault it observes with a stable key (Outcome.cause), built here
// so two checks that see the same fault build the same key: a TLS certificate nobody trusts fails
// the TLS check, every routing check and the auth discovery alike, and all of them say
// `tls-untrusted:flyte.example.com:443`. After a run, markRootCauses() picks, per key, the result
// that explains the rest and points every other one (and every check blocked by them) at it.
import { AREAS, type Check, type CheckResult } from './types.js';

const lower = (s: string) => s.trim().toLowerCase();

/** `host:port` with IPv6 in brackets, lower case, the form every key uses. */
export function hostPortKey(host: string, port: number | string): string {
  const h = lower(host).replace(/^\[|\]$/g, '');
  return `${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/**
 * Key builders, one per kind of fault. `subject` is what is broken (a host, a host:port, a
 * component, a values key), never a secret: keys appear in the JSON report.
 */
export const cause = {
  /** The name does not resolve (NXDOMAIN, SERVFAIL, no answer). */
  dns: (host: string) => `dns:${lower(host)}`,
  /** Nothing reachable at host:port: refused, dropped (timeout), no route. */
  unreachable: (hostPort: string) => `unreachable:${lower(hostPort)}`,
  /** Something other than the expected service answers at host:port (HTTP, SSH, TLS-only, plain where TLS is expected...). */
  wrongService: (hostPort: string) => `wrong-service:${lower(hostPort)}`,
  /** A TLS problem of what host:port serves. */
  tls: (kind: 'untrusted' | 'name' | 'expired' | 'chain' | 'default-cert' | 'version' | 'alpn' | 'plaintext' | 'handshake' | 'weak-signature' | 'negative-serial' | 'weak-key', hostPort: string) => `tls-${kind}:${lower(hostPort)}`,
  /** A backend behind a proxy or Service is down or not ready (component or Service name). */
  backend: (component: string) => `backend:${lower(component)}`,
  /** Credentials rejected by a service (`s3`, `gcs`, `postgres`, `kubernetes`, `oidc`...) for one identity (masked). */
  credentials: (service: string, identity: string) => `credentials:${service}:${identity}`,
  /** A permission missing for an identity on a resource. */
  denied: (service: string, identity: string, resource: string) => `denied:${service}:${identity}:${resource}`,
  /** A configuration value is wrong or missing: the key (values key, client config key or env var). */
  config: (key: string) => `config:${key}`,
  /** Something in front of the service (an auth proxy, basic auth, a WAF) rejects requests. */
  frontAuth: (hostPort: string) => `front-auth:${lower(hostPort)}`,
  /** An answer no finding recognises (an HTTP status) from host:port: every probe that met it, one fault. */
  answer: (hostPort: string, status: number | string) => `answer:${lower(hostPort)}:${status}`,
  /**
   * Two settings name different hosts for one thing (the client dials `clientHost`, the values' Ingress
   * serves `otherHost`) and the finding cannot tell which is wrong: it joins the fault another
   * finding observes for either host (the name does not resolve, no Ingress serves it...).
   */
  hostMismatch: (clientHost: string, otherHost: string) => `host-mismatch:${lower(clientHost)}|${lower(otherHost)}`,
  /** A Kubernetes object in a bad state (kind/namespace/name). */
  object: (kind: string, namespace: string | undefined, name: string) => `object:${lower(kind)}/${namespace ? `${namespace}/` : ''}${name}`,
} as const;

/**
 * Order used to break ties between results of one cause: lower layers explain higher ones, and a
 * check that reads the state of a thing (a Deployment's pods) explains the probes that only see
 * its symptoms (a 502 through the ingress). First matching prefix wins.
 */
const LAYERS: readonly string[] = [
  'values.', 'kubernetes.rbac.install', 'kubernetes.', 'dns.', 'database.', 'storage.',
  'flyte.crd.', 'flyte.plugins.', 'flyte.metrics.servicemonitor', 'flyte.deployments.', 'flyte.services.', 'flyte.webhook.', 'flyte.projects.',
  'tls.', 'client.', 'flyte.', 'ingress.', 'auth.',
];
const rankOf = (id: string) => { const i = LAYERS.findIndex((p) => id.startsWith(p)); return i < 0 ? LAYERS.length + AREAS.length : i; };

/**
 * The key results are grouped by. An endpoint where nothing usable answers is one fault whether a
 * check saw silence (`unreachable`), the wrong service (`wrong-service`) or plain text where TLS
 * was asked for (`tls-plaintext`): a pod's wait-for-db that never gets through and this machine
 * finding an HTTP server on the database port agree, and so do flyte.config.live's "the values
 * point at another address" and the S3 probe finding plain HTTP behind an https:// endpoint.
 */
export function groupKey(c: string): string {
  return c.replace(/^(unreachable|wrong-service|tls-plaintext):/, 'endpoint:').replace(K8S_DENIED, 'denied:kubernetes:$1');
}
/**
 * Kubernetes denials of one identity are one fault (the identity lacks rights; one binding fixes
 * them), whatever resource each check met: `denied:kubernetes:<identity>:<verb> <resource>`. The
 * identity may hold colons (system:serviceaccount:ns:name, user@host:port); the resource starts
 * with a lower-case word followed by a space or the end (`get secrets in namespace flyte`, `read`).
 */
const K8S_DENIED = /^denied:kubernetes:(.+?):[a-z][a-z-]*(?: .*)?$/;
/**
 * A finding that only knows the settings name an address (not what answers there): flyte.config.live's
 * "the release runs with another configuration", keyed by the values' address for a host or port
 * that differs from the live one.
 */
const isAddressFinding = (r: CheckResult) => r.id === 'flyte.config.live' && r.messageId === 'differs';
const severity = (r: CheckResult) => (r.status === 'fail' || r.status === 'error' ? 0 : 1);

/**
 * The engine's own timeout: a check that did not end within its budget (error `timeout`, no
 * cause: the check never said what it met). Several of them in one run are one fault, the time
 * budget (a --timeout too short for this network, or slow servers), not one fault each.
 */
export const BUDGET_KEY = 'budget:check-timeout';
const isBudgetTimeout = (r: CheckResult) => r.status === 'error' && r.messageId === 'timeout' && !r.cause;
const isTimeoutFinding = (r: CheckResult) => !!r.details && (r.details as Record<string, unknown>)['kind'] === 'timeout';
/** Seconds in an engine timeout message ("timed out after 0.3s"). */
const budgetSeconds = (r: CheckResult) => { const m = /timed out after ([\d.]+)s/.exec(r.message); return m ? Number(m[1]) : undefined; };
/** A longer --timeout to suggest: never the one that just ran out (the default is 10s). */
const longerTimeout = (s: number | undefined) => `${Math.max(10, Math.ceil((s ?? 10) * 3))}s`;

/**
 * The backends (cause.backend) of Flyte's own components: when no install of the chart is found in
 * the namespace (`object:flyte-install/<ns>/<chart>`), each one missing is that fault, not its own.
 */
const FLYTE_BACKENDS = new Set(['flyteadmin', 'flyteconsole', 'datacatalog', 'flytepropeller', 'flyte-pod-webhook', 'flytescheduler', 'syncresources', 'flyteconnector']);

export function resultKey(r: Pick<CheckResult, 'id' | 'instance'>): string {
  return r.instance === undefined ? r.id : `${r.id}[${r.instance}]`;
}

/** Every check id `id` depends on, directly or not. */
function ancestorsOf(id: string, checks: ReadonlyMap<string, Pick<Check, 'dependsOn'>>, memo: Map<string, Set<string>>): Set<string> {
  const hit = memo.get(id);
  if (hit) return hit;
  const out = new Set<string>();
  memo.set(id, out); // cycles are refused by the registry; this only guards the recursion
  for (const d of checks.get(id)?.dependsOn ?? []) {
    out.add(d);
    for (const a of ancestorsOf(d, checks, memo)) out.add(a);
  }
  return out;
}

/**
 * Marks root causes in place. Per cause key, among the results that did not pass: the root is one
 * whose check depends on no other of the group, the more severe one first, then the one whose
 * check the others depend on (directly or not), then the lower
 * layer (LAYERS: kubernetes, dns, database, storage, Flyte's objects, tls, client, admin probes, ingress, auth), then the id.
 * Results blocked by a dependency (skip with blockedBy) are explained by their blocker's root. Every
 * fail or error that nothing explains is a root cause of its own.
 */
export function markRootCauses(results: CheckResult[], checks: ReadonlyMap<string, Pick<Check, 'dependsOn'>>): void {
  const memo = new Map<string, Set<string>>();
  const byKey = new Map<string, CheckResult>();
  for (const r of results) {
    delete r.rootCause; delete r.explainedBy;
    byKey.set(resultKey(r), r);
  }
  const groups = new Map<string, CheckResult[]>();
  for (const r of results) {
    if (r.status === 'pass' || r.status === 'skip') continue;
    const k = r.cause ? groupKey(r.cause) : isBudgetTimeout(r) ? BUDGET_KEY : undefined;
    if (!k) continue;
    const g = groups.get(k);
    if (g) g.push(r); else groups.set(k, [r]);
  }
  // A name that does not resolve is why nothing answers at any host:port of that name (a check
  // that only knows the address it could not reach, e.g. flyte.config.live, keys it `unreachable`).
  const merged = new Map<string, CheckResult[]>();
  for (const [k, g] of [...groups]) {
    const m = /^endpoint:(.+):[^:]+$/.exec(k);
    const dnsGroup = m ? groups.get(`dns:${m[1]!.replace(/^\[|\]$/g, '')}`) : undefined;
    if (!dnsGroup) continue;
    dnsGroup.push(...g);
    groups.delete(k);
    merged.set(k, dnsGroup);
  }
  // "The values point at another address than the installed release" (flyte.config.live keys it by
  // the values' address, `unreachable`, for a probe that finds nothing there) is whatever fault the
  // probes do find at that address: a certificate that does not cover the name, one nobody trusts, a
  // login that is refused, a server without Flyte's schema. One fault, not a root of its own beside it.
  for (const [k, g] of [...groups]) {
    const m = /^endpoint:(.+)$/.exec(k);
    if (!m || !g.every(isAddressFinding)) continue;
    const hp = m[1]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const re = new RegExp(`(^|[:@/=])${hp}($|[:/])`);
    const hit = [...groups.keys()].find((x) => x !== k && re.test(x));
    if (!hit) continue;
    groups.get(hit)!.push(...g);
    groups.delete(k);
    merged.set(k, groups.get(hit)!);
  }
  // An identity whose login works but lacks a right: a finding that only guessed its login would be
  // rejected (flyte.config.live: "the values use another access key than the release") is that fault.
  for (const [k, g] of [...groups]) {
    if (!k.startsWith('credentials:')) continue;
    const id = `denied:${k.slice('credentials:'.length)}`;
    const into = [...groups].find(([dk]) => dk === id || dk.startsWith(`${id}:`))?.[1];
    if (!into) continue;
    into.push(...g);
    groups.delete(k);
    merged.set(k, into);
  }
  // Two settings that disagree on a host join the fault a finding observes for one of them (the
  // client's host first): the name that does not resolve, the host no Ingress serves.
  for (const [k, g] of [...groups]) {
    const m = /^host-mismatch:(.+)\|(.+)$/.exec(k);
    if (!m) continue;
    const names = (h: string) => (key: string) => key !== k && new RegExp(`(^|[:=])${h.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|:)`).test(key);
    const hit = [m[1]!, m[2]!].map((h) => [...groups.keys()].find(names(h))).find((x) => !!x);
    if (!hit) continue;
    groups.get(hit)!.push(...g);
    groups.delete(k);
    merged.set(k, groups.get(hit)!);
  }
  // No install of the chart in the namespace: the Flyte components it would run and the objects it
  // would create there (ServiceAccounts, Services...) are missing because of it, whatever check met them.
  for (const [k, g] of [...groups]) {
    const m = /^object:flyte-install\/([^/]+)\//.exec(k);
    if (!m) continue;
    for (const [ok, og] of [...groups]) {
      if (ok === k || !groups.has(ok)) continue;
      const b = /^backend:(.+)$/.exec(ok);
      const o = /^object:([^/]+)\/([^/]+)\/.+$/.exec(ok);
      if (!(b && FLYTE_BACKENDS.has(b[1]!)) && !(o && o[2] === m[1] && o[1] !== 'flyte-install')) continue;
      g.push(...og);
      groups.delete(ok);
      merged.set(ok, g);
    }
  }
  // An endpoint that answered a check of this run (a pass that names it) but where others found "no
  // answer before the time was up" did not go away: those checks ran out of their time, one fault
  // with the checks the engine timed out.
  for (const [k, g] of [...groups]) {
    const m = /^endpoint:(.+)$/.exec(k);
    if (!m || !g.every(isTimeoutFinding)) continue;
    const hp = m[1]!;
    if (!results.some((r) => r.status === 'pass' && (r.message.includes(hp) || JSON.stringify(r.details ?? {}).includes(hp)))) continue;
    const into = groups.get(BUDGET_KEY) ?? groups.set(BUDGET_KEY, []).get(BUDGET_KEY)!;
    into.push(...g);
    groups.delete(k);
    merged.set(k, into);
  }
  const budget = groups.get(BUDGET_KEY);
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const explains = (a: CheckResult) => g.filter((b) => b !== a && ancestorsOf(b.id, checks, memo).has(a.id)).length;
    // A result whose check depends on another of the group is never its root; among the rest, a
    // fail outranks a warn (a warn that could not look does not explain a fail that did).
    let tops = g.filter((b) => !g.some((a) => a !== b && ancestorsOf(b.id, checks, memo).has(a.id)));
    // the time budget: a check the engine timed out is the root (its fix is the budget), not a
    // finding whose own message blames a server that answered others
    if (g === budget && tops.some(isBudgetTimeout)) tops = tops.filter(isBudgetTimeout);
    const root = [...(tops.length ? tops : g)].sort((a, b) => severity(a) - severity(b) || explains(b) - explains(a) || rankOf(a.id) - rankOf(b.id) || (resultKey(a) < resultKey(b) ? -1 : resultKey(a) > resultKey(b) ? 1 : 0))[0]!;
    for (const r of g) if (r !== root) r.explainedBy = resultKey(root);
  }
  // What other findings know about a fault completes the fix of its root (a group of one is its own root).
  for (const from of results) {
    for (const n of from.rootNotes ?? []) {
      const g = groups.get(groupKey(n.cause)) ?? merged.get(groupKey(n.cause));
      const root = g?.find((r) => !r.explainedBy);
      if (!root || root === from || (n.unlessSaid && root.message.includes(n.unlessSaid)) || (root.hint ?? '').includes(n.text)) continue;
      root.hint = root.hint ? `${root.hint}. ${n.text}` : n.text;
    }
  }
  for (const r of results) delete r.rootNotes;
  // The time budget's root says what ran out and what to do; an engine timeout has no fix of its own.
  if (budget) {
    const root = budget.find((r) => !r.explainedBy);
    if (root) {
      // the longest budget seen: every check has at least half the --timeout, so three times it is past the --timeout given
      const seen = budget.map(budgetSeconds).filter((x): x is number => x !== undefined);
      const s = seen.length ? Math.max(...seen) : undefined;
      const others = budget.filter((r) => r !== root);
      const answered = [...new Set(others.filter(isTimeoutFinding).map((r) => /^[^:]+:(.+)$/.exec(r.cause ?? '')?.[1]).filter((x): x is string => !!x))];
      const secs = (x: number) => (x > 0 ? `${x}s` : 'under 0.1s');
      const each = s !== undefined ? ` (${seen.every((x) => x === s) ? '' : 'up to '}${secs(s)} each)` : '';
      const text = answered.length
        ? `${budget.length} checks ran out of their time budget${each} while ${answered.join(', ')} answered other checks of this run: the per-check --timeout is too short for these servers and this network, not a fault of each one; re-run with --timeout ${longerTimeout(s)}`
        : budget.length > 1
          ? `${budget.length} checks ran out of their time budget${each}: the per-check --timeout is too short for this network, or what they wait on stalls; re-run with --timeout ${longerTimeout(s)} (and --verbose for the step each one was in) to tell them apart`
          : `it did not finish within its budget${s !== undefined ? ` (${secs(s)})` : ''}: what it waits on stalls, or the per-check --timeout is too short for it; re-run with --timeout ${longerTimeout(s)} (and --verbose for the step it was in) to tell them apart`;
      // a second marking (the in-cluster merge) finds the fix already there
      if (!/ran out of their time budget|did not finish within its budget/.test(root.hint ?? '')) root.hint = root.hint ? `${root.hint}. ${text}` : text;
    }
  }
  // A skip blocked by a dependency is explained by whatever explains the blocker.
  const rootOf = (key: string, seen = new Set<string>()): string => {
    const r = byKey.get(key);
    if (!r || seen.has(key)) return key;
    seen.add(key);
    if (r.explainedBy) return rootOf(r.explainedBy, seen);
    if (r.status === 'skip' && r.blockedBy) return rootOf(r.blockedBy, seen);
    return key;
  };
  // A chain that ends at a check's own skip (nothing configured, cannot be checked from here) has
  // no fault to point at: blocked dependents then just say whom they wait for (blockedBy).
  const isFault = (key: string) => { const r = byKey.get(key); return !!r && r.status !== 'skip' && r.status !== 'pass'; };
  for (const r of results) {
    const root = r.status === 'skip' && r.blockedBy ? rootOf(r.blockedBy) : r.explainedBy ? rootOf(r.explainedBy) : undefined;
    if (root && isFault(root)) r.explainedBy = root; else delete r.explainedBy;
  }
  const referenced = new Set(results.map((r) => r.explainedBy).filter((k): k is string => !!k));
  for (const r of results) {
    if (r.explainedBy || r.status === 'skip' || r.status === 'pass') continue;
    if (referenced.has(resultKey(r)) || r.status === 'fail' || r.status === 'error') r.rootCause = true;
  }
}

/** Root causes first (in result order), each followed by what it explains: for reports. */
export function rootCauseGroups(results: readonly CheckResult[]): { root: CheckResult; consequences: CheckResult[] }[] {
  const out: { root: CheckResult; consequences: CheckResult[] }[] = [];
  const byRoot = new Map<string, CheckResult[]>();
  for (const r of results) if (r.explainedBy) (byRoot.get(r.explainedBy) ?? byRoot.set(r.explainedBy, []).get(r.explainedBy)!).push(r);
  for (const r of results) if (r.rootCause) out.push({ root: r, consequences: byRoot.get(resultKey(r)) ?? [] });
  const sev = (r: CheckResult) => (r.status === 'fail' ? 0 : r.status === 'error' ? 1 : 2);
  return out.sort((a, b) => sev(a.root) - sev(b.root));
}
