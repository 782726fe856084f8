import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpRequest, jsonBody } from '../../src/clients/http.js';
import { ProbeError, describeNetFailure } from '../../src/clients/tls.js';
import type { Target } from '../../src/config/target.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

function baseUrlKey(t: Target): string {
  return t.chart === 'flyte-core' || t.auth.valuesKey.startsWith('configmap') ? `${t.auth.valuesKey}.userAuth.openId.baseUrl` : `${t.auth.valuesKey}.oidc.baseUrl`;
}

export default defineCheck({
  id: 'auth.oidc.issuer',
  title: 'The OIDC issuer\'s discovery document is reachable and its issuer matches',
  phases: ['preflight', 'verify'],
  needs: ['auth'],
  timeoutMs: 8000,
  explain: {
    what: 'GET `<issuer>/.well-known/openid-configuration` from this machine and compare its `issuer` with the configured base URL.',
    why: 'flyteadmin fetches this document at start-up and refuses to start ("Error creating oidc provider", "issuer did not match") when it is unreachable or the issuer differs. Run from here it does not prove the pod\'s egress, but a wrong URL shows.',
    fix: 'Set the OIDC base URL to the issuer exactly as the document states it (Azure: https://login.microsoftonline.com/<tenant>/v2.0), or set `issuerUrl` when they legitimately differ.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const issuer = ctx.target.auth.oidcIssuer;
    if (!issuer) return { status: 'skip', message: `no OIDC issuer configured (${baseUrlKey(ctx.target)})` };
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const trust = await clientTrust(ctx.target);
    const timeoutMs = probeTimeout(ctx);
    let r;
    try { r = await httpRequest(ctx, url, { ...(trust.ca ? { ca: trust.ca } : {}), timeoutMs, headers: { accept: 'application/json' } }); } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      const u = new URL(url);
      return { status: 'fail', ...describeNetFailure(err.kind, `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, err.message, timeoutMs), details: { url, error: err.code ?? err.kind } };
    }
    const details = { url, httpStatus: r.status, contentType: r.contentType, configuredIssuer: issuer };
    const doc = jsonBody(r);
    if (r.status !== 200 || !doc) {
      return { status: 'fail', messageId: 'noDiscovery', message: `${url} answered ${r.status} ${r.contentType || ''}: not an OpenID discovery document`, hint: `set ${baseUrlKey(ctx.target)} to the issuer URL (the part before /.well-known/openid-configuration; Azure AD: https://login.microsoftonline.com/<tenant-id>/v2.0, not .../oauth2/v2.0/authorize)`, details };
    }
    const got = String(doc.issuer ?? '');
    const norm = (s: string) => s.replace(/\/+$/, '');
    if (norm(got) !== norm(issuer)) {
      return { status: 'fail', messageId: 'issuerMismatch', message: `the discovery document at ${url} names issuer "${got}", not "${issuer}" (flyteadmin: "issuer did not match the issuer returned by provider")`, hint: `set ${baseUrlKey(ctx.target)}: ${got} — or, when the IdP is reached through another address, keep the base URL and set ${ctx.target.auth.valuesKey.startsWith('configmap') ? `${ctx.target.auth.valuesKey}.userAuth.openId` : 'auth.userAuth.openId'}.issuerUrl: ${got}`, details: { ...details, issuer: got } };
    }
    return { status: 'pass', message: `${url}: issuer ${got} matches; authorization endpoint ${String(doc.authorization_endpoint ?? '?')}`, details: { ...details, issuer: got, ...(doc.jwks_uri ? { jwksUri: String(doc.jwks_uri) } : {}) } };
  },
});
