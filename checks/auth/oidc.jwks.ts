import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpGetFollow, httpRequest, isHtml, jsonBody, type HttpResponse } from '../../src/clients/http.js';
import { ProbeError } from '../../src/clients/tls.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import { frontAnswer, frontNetworkFix, statusFault } from '../../src/clients/answers.js';
import type { CheckContext, Json } from '../../src/engine/types.js';
import type { Target } from '../../src/config/target.js';
import { defineCheck } from '../../src/engine/define.js';
import { oidcBaseUrlKey } from '../../src/flyte/settings.js';

const baseUrlKey = oidcBaseUrlKey;

/** The keys of a JWKS answer: the key ids (kid) and how many keys there are; undefined when it is not a key set. */
export function jwksKeys(doc: Record<string, unknown> | undefined): { count: number; kids: string[] } | undefined {
  if (!doc || !Array.isArray(doc.keys)) return undefined;
  const keys = (doc.keys as unknown[]).filter((k): k is Record<string, unknown> => !!k && typeof k === 'object');
  return { count: keys.length, kids: keys.map((k) => (typeof k.kid === 'string' ? k.kid.slice(0, 120) : '')).filter(Boolean) };
}

/** GET of a jwks_uri as flyteadmin's OIDC library does (Go's http client follows redirects), once per run. */
export async function fetchJwks(ctx: CheckContext, url: string): Promise<{ hops?: HttpResponse[]; error?: ProbeError }> {
  return ctx.shared(`oidc-jwks:${url}`, async () => {
    const trust = await clientTrust(ctx.target);
    // Go reads a key set of any size: 1 MiB here (a large key set cut at 64 KiB would be a false fail)
    const o = { ...(trust.ca ? { ca: trust.ca } : {}), timeoutMs: probeTimeout(ctx), maxBodyBytes: 1024 * 1024, headers: { accept: 'application/json' } };
    try {
      const hops = await httpGetFollow(ctx, url, o);
      const last = hops[hops.length - 1];
      // Go's client follows a redirect to another host too (httpGetFollow stays on one origin)
      if (last && last.status >= 300 && last.status < 400 && last.location && hops.length <= 3) hops.push(...await httpGetFollow(ctx, last.location, o, 3 - hops.length));
      return { hops };
    } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      return { error: err };
    }
  });
}

export default defineCheck({
  id: 'auth.oidc.jwks',
  title: 'The OIDC issuer\'s signing keys (jwks_uri) are served',
  phases: ['preflight', 'verify'],
  needs: ['auth'],
  dependsOn: ['auth.oidc.issuer'],
  timeoutMs: 8000,
  messages: {
    keys: { status: 'pass', summary: 'jwks_uri serves a key set with keys.' },
    notConfigured: { status: 'skip', summary: 'No OIDC issuer to read the keys of (auth off, or auth.oidc.issuer says why).' },
    jwksUnreachable: { status: 'fail', summary: 'The discovery document answers, but its jwks_uri does not: flyteadmin cannot fetch the keys to verify logins and tokens.' },
    jwksNotKeys: { status: 'fail', summary: 'jwks_uri answers something that is not a key set (an HTML login page, a 404, JSON without "keys"): flyteadmin cannot verify any token of this IdP.' },
    jwksError: { status: 'fail', summary: 'jwks_uri answers a server error or a rate limit (HTTP 5xx / 429): the IdP (or a proxy in front of it) fails now.' },
    jwksAnswerFault: { status: 'fail', summary: 'jwks_uri answers a status that names a fault on the way, not a wrong URL: a proxy that wants its own credentials (407), a captive portal (511), a protocol or size limit (426, 505, 421, 413/431), a cache (304), a CDN that cannot reach its origin (520-530).' },
    unrecognised: { status: 'fail', summary: 'An answer flyte-doctor does not recognise; the message carries the evidence.' },
    jwksEmpty: { status: 'warn', summary: 'jwks_uri serves an empty key set: flyteadmin has no key to verify the IdP\'s signed tokens with (logins fail "failed to verify signature"), unless the IdP signs with a shared secret.' },
  },
  explain: {
    what: 'Reads `jwks_uri` from `<issuer>/.well-known/openid-configuration` and GETs it (following redirects, as flyteadmin\'s OIDC library does): a JSON key set with keys.',
    why: 'flyteadmin starts with the discovery document alone, then verifies every login\'s ID token (and, with an external authorization server, every access token) with the keys of jwks_uri: a key set it cannot fetch or read fails every login with "failed to verify signature", long after the install looked healthy.',
    fix: 'Make jwks_uri public and reachable from flyteadmin (no login page, WAF or proxy auth in front of it), or set the base URL to the issuer whose discovery document names the right jwks_uri.',
  },
  async run(ctx) {
    const t = ctx.target;
    const issuer = t.auth.oidcIssuer;
    if (!t.auth.enabled || !issuer) return { status: 'skip', messageId: 'notConfigured', message: !t.auth.enabled ? 'auth is off in the values: Flyte does not use the OIDC issuer' : 'no OIDC issuer is set (auth.oidc.issuer says what to set)' };
    const discovery = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const trust = await clientTrust(t);
    let doc: Record<string, unknown> | undefined;
    try { doc = jsonBody(await httpRequest(ctx, discovery, { ...(trust.ca ? { ca: trust.ca } : {}), timeoutMs: probeTimeout(ctx), headers: { accept: 'application/json' } })); } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
    }
    const jwksUri = typeof doc?.jwks_uri === 'string' ? doc.jwks_uri : undefined;
    if (!jwksUri) return { status: 'skip', messageId: 'notConfigured', message: `${discovery} gives no jwks_uri here (auth.oidc.issuer says why)` };
    let u: URL;
    try { u = new URL(jwksUri); } catch { return { status: 'fail', messageId: 'jwksNotKeys', cause: cause.config(baseUrlKey(t)), message: `${discovery} names jwks_uri ${JSON.stringify(jwksUri.slice(0, 200))}, which is not a URL: flyteadmin cannot fetch the keys`, hint: `the IdP's discovery document is broken: fix its jwks_uri, or set ${baseUrlKey(t)} to the issuer the IdP documents`, details: { discovery, jwksUri: jwksUri.slice(0, 200) } }; }
    const hp = hostPortKey(u.hostname.replace(/^\[|\]$/g, ''), u.port || (u.protocol === 'https:' ? 443 : 80));
    const details: Record<string, Json> = { discovery, jwksUri };
    const { hops, error } = await fetchJwks(ctx, jwksUri);
    if (error || !hops?.length) {
      const kind = error?.kind ?? 'none';
      const c = kind === 'nxdomain' || kind === 'dns' ? cause.dns(u.hostname) : ['expired', 'notYetValid', 'selfSigned', 'untrusted', 'hostname', 'tlsVersion'].includes(kind) ? cause.tls(kind === 'hostname' ? 'name' : kind === 'tlsVersion' ? 'version' : kind === 'expired' || kind === 'notYetValid' ? 'expired' : 'untrusted', hp) : cause.unreachable(hp);
      details.error = error?.code ?? kind;
      return { status: 'fail', messageId: 'jwksUnreachable', cause: c, message: `${discovery} answers, but its jwks_uri ${jwksUri} does not (${kind}: ${error?.message ?? 'no answer'}): flyteadmin starts, then fails every login ("failed to verify signature: fetching keys")`, hint: u.hostname !== new URL(discovery).hostname ? `jwks_uri is on another host (${u.hostname}) than the issuer: it must be reachable from flyteadmin and from here (DNS, firewall, auth.userAuth.httpProxyURL); if the IdP names an internal host there, fix the IdP's public URL (Keycloak: KC_HOSTNAME; a proxy: X-Forwarded-Host)` : `the IdP serves its discovery document but not its keys at ${jwksUri}: check the IdP and any proxy between here and it for that path`, details };
    }
    const r = hops[hops.length - 1]!;
    const via = hops.length > 1 ? ` (after ${hops.length - 1} redirect${hops.length > 2 ? 's' : ''}, to ${hops.slice(1).map((h) => h.url).join(' → ')})` : '';
    details.httpStatus = r.status;
    details.contentType = r.contentType;
    const served = `${jwksUri} answered ${r.status}${r.contentType ? ` ${r.contentType}` : ''}${via}`;
    // what the network or a proxy answers for itself (407, 408, 451, 511, 561), and statuses that name a
    // protocol, size, cache or CDN fault: not "the discovery document names a wrong jwks_uri"
    const front = r.status === 401 || r.status === 403 ? undefined : frontAnswer(r, { subject: 'the IdP' });
    const fault = front && front.kind !== 'gone' ? { text: front.text, fix: frontNetworkFix(front.kind, u.hostname) ?? (front.kind === 'request-timeout' ? `check the timeouts of the proxy or load balancer in front of ${u.hostname}` : `have what stands in front of ${u.hostname} let ${jwksUri} through without a login`), unknown: false, cdn: false } : (() => { const f = statusFault(r, u.hostname); return f ? { text: f.text, fix: f.fix, unknown: f.kind === 'unrecognised', cdn: f.kind === 'cdn-origin' } : undefined; })();
    if (fault) return { status: 'fail', messageId: fault.unknown ? 'unrecognised' : 'jwksAnswerFault', cause: front ? cause.frontAuth(hp) : fault.cdn ? cause.backend(`oidc-issuer:${hp}`) : cause.answer(hp, r.status), message: `${fault.unknown ? 'unrecognised: ' : ''}${served}: ${fault.text}; flyteadmin fails logins while its keys are not served`, hint: `${fault.fix}; the base URL needs no change for this answer`, details };
    if (r.status >= 500 || r.status === 429) return { status: 'fail', messageId: 'jwksError', cause: cause.backend(`oidc-issuer:${hp}`), message: `${served}: the IdP (or a proxy in front of it) fails to serve its keys now; flyteadmin fails logins while it does`, hint: 'retry, and check the IdP\'s status and logs for that path; the base URL needs no change', details };
    const keys = r.status === 200 ? jwksKeys(jsonBody(r)) : undefined;
    if (!keys && r.status >= 400 && ![401, 403, 404, 410].includes(r.status)) {
      // a 4xx that names no cause: said as such, with the evidence, not "log in" or "fix the IdP's URL"
      return { status: 'fail', messageId: 'unrecognised', cause: cause.answer(hp, r.status), message: `unrecognised: ${served}${r.headers.server ? ` from ${r.headers.server}` : ''}: not a key set and not a status that names a cause${r.body ? ` (${JSON.stringify(r.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100))})` : ''}`, hint: `fetch ${jwksUri} by hand (\`curl -v\`) and look at what answers it (the IdP, or a proxy in front of it)`, details };
    }
    if (!keys) {
      const what = r.status === 200 ? (isHtml(r) ? 'an HTML page (a login page or a portal), not a key set' : jsonBody(r) ? 'JSON without a "keys" list' : r.truncated ? 'larger than 1 MiB (cut), not read' : 'not JSON') : r.status >= 300 && r.status < 400 ? (r.location ? `a redirect to ${r.location}, not followed further` : 'a redirect without a Location') : r.status === 401 ? 'a refusal: something in front of the IdP wants credentials' : r.status === 403 ? 'a refusal: something in front of the IdP (an IP allow-list, a WAF rule) forbids it' : r.status === 404 || r.status === 410 ? 'not found' : `HTTP ${r.status}, no key set`;
      return { status: 'fail', messageId: 'jwksNotKeys', cause: r.status === 401 || r.status === 403 || (r.status === 200 && isHtml(r)) ? cause.frontAuth(hp) : cause.config(baseUrlKey(t)), message: `${served}: ${what}; flyteadmin reads the keys there to verify every login's ID token and fails them ("failed to verify signature")`, hint: (r.status === 200 && isHtml(r)) || r.status === 401 || r.status === 403 ? `let ${jwksUri} through without a login (the key set must be public, like the discovery document): exclude it from the SSO / WAF / proxy auth in front of the IdP` : `the IdP's discovery document names a jwks_uri that serves no keys: fix the IdP (its public URL / realm), or set ${baseUrlKey(t)} to the issuer whose document names a working jwks_uri`, details };
    }
    details.keys = keys.count;
    details.kids = keys.kids;
    if (keys.count === 0) return { status: 'warn', messageId: 'jwksEmpty', cause: cause.backend(`oidc-issuer:${hp}`), message: `${served}: an empty key set ({"keys":[]}): flyteadmin has no key to verify this IdP's signed ID tokens with, so logins fail ("failed to verify signature"), unless the IdP signs with a shared secret (HS256) or is between two keys right now`, hint: 'give the IdP (realm / authorization server) an active signing key (RS256) and check that jwks_uri lists it', details };
    return { status: 'pass', messageId: 'keys', message: `${served}: ${keys.count} key${keys.count > 1 ? 's' : ''}${keys.kids.length ? ` (kid ${keys.kids.slice(0, 5).join(', ')})` : ''}`, details };
  },
});
