import { frontAnswer, frontNetworkFix, statusFault } from '../../src/clients/answers.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { HttpNoAnswerError, httpRequest, jsonBody } from '../../src/clients/http.js';
import { ProbeError } from '../../src/clients/tls.js';
import { cause, hostPortKey } from '../../src/engine/causes.js';
import type { Target } from '../../src/config/target.js';
import { schemeTwice } from '../../src/config/host-values.js';
import { setting, whereSet } from '../../src/flyte/settings.js';
import { defineCheck } from '../../src/engine/define.js';
import { oidcBaseUrlKey } from '../../src/flyte/settings.js';

const baseUrlKey = oidcBaseUrlKey;

/** Verification errors of a chain that is anchored but refused for a certificate's own fields: no CA bundle helps. */
const CERT_FIELD_FAULTS: Readonly<Record<string, string>> = {
  INVALID_PURPOSE: 'the IdP\'s certificate (or a CA above it) has an extendedKeyUsage without serverAuth ("unsuitable certificate purpose"; Go: "x509: certificate specifies an incompatible key usage"): the IdP must serve a certificate issued for TLS servers (extendedKeyUsage serverAuth); no CA bundle on the flyteadmin side helps',
  INVALID_CA: 'the IdP sends, as the issuer of its certificate, a certificate that is not a CA (basicConstraints CA:FALSE; Go: "x509: certificate is not authorized to sign other certificates"): the IdP must serve a certificate issued by a real CA, with that CA\'s intermediate; no CA bundle on the flyteadmin side helps',
  CERT_REVOKED: 'the IdP\'s certificate is revoked: the IdP must serve a reissued certificate',
};

export default defineCheck({
  id: 'auth.oidc.issuer',
  title: 'The OIDC issuer\'s discovery document is reachable and its issuer matches',
  phases: ['preflight', 'verify'],
  needs: ['auth'],
  timeoutMs: 8000,
  messages: {
    matches: { status: 'pass', summary: 'The discovery document is served and its issuer matches the configured base URL.' },
    notConfigured: { status: 'skip', summary: 'No OIDC issuer is configured (or auth is off, so Flyte does not use it).' },
    noIssuer: { status: 'fail', summary: 'Auth is on but no OIDC issuer is set: flyteadmin builds its OIDC provider from the base URL at start and does not start ("Error creating oidc provider w/ issuer []").' },
    malformedIssuer: { status: 'fail', summary: 'The issuer URL is written with the scheme twice (`https://https://idp`): flyteadmin dials a host named `https`.' },
    noDiscovery: { status: 'fail', summary: 'The base URL does not serve an OpenID discovery document.' },
    issuerMismatch: { status: 'fail', summary: 'The document names another issuer than the configured base URL (flyteadmin refuses to start).' },
    nxdomain: { status: 'fail', summary: 'The issuer host does not exist in DNS.' },
    dnsFailure: { status: 'fail', summary: 'The issuer host could not be resolved.' },
    refused: { status: 'fail', summary: 'Nothing listens on the issuer\'s host and port.' },
    noAnswer: { status: 'fail', summary: 'The issuer did not answer in time.' },
    answerStalled: { status: 'fail', summary: 'The issuer answered a status and headers, then stopped sending the body (a stuck IdP or a proxy on the way).' },
    unreachable: { status: 'fail', summary: 'The issuer could not be reached over TLS/HTTP (the message has the error).' },
    issuerTls: { status: 'fail', summary: 'The issuer\'s TLS certificate is not accepted (untrusted CA, expired, wrong name): flyteadmin fails the same way unless its pod trusts that CA.' },
    issuerError: { status: 'fail', summary: 'The issuer answers the discovery URL with a server error or a rate limit (HTTP 5xx / 429): the IdP or a proxy in front of it fails, the URL itself may be right.' },
    issuerBlocked: { status: 'fail', summary: 'A proxy or WAF refuses the discovery request (HTTP 401/403/407): the document must be public.' },
    issuerRedirect: { status: 'fail', summary: 'The discovery URL redirects (to https, another path or a login page); flyteadmin does not follow to another issuer.' },
    issuerAnswerFault: { status: 'fail', summary: 'The discovery URL answers a status that names a fault on the way, not a wrong URL: a protocol or size limit of a proxy (426, 505, 421, 413/431), a cache (304), a CDN that cannot reach its origin (520-530), a client-certificate demand (495/496), a proxy timeout (408).' },
    unrecognised: { status: 'fail', summary: 'An answer flyte-doctor does not recognise; the message carries the evidence.' },
    incompleteDiscovery: { status: 'fail', summary: 'The JSON document lacks fields an OpenID discovery document must have (issuer, authorization_endpoint, jwks_uri, token_endpoint).' },
  },
  explain: {
    what: 'GET `<issuer>/.well-known/openid-configuration` from this machine and compare its `issuer` with the configured base URL.',
    why: 'flyteadmin fetches this document at start-up and refuses to start ("Error creating oidc provider", "issuer did not match") when it is unreachable or the issuer differs. Run from here it does not prove the pod\'s egress, but a wrong URL shows.',
    fix: 'Set the OIDC base URL to the issuer exactly as the document states it (Azure: https://login.microsoftonline.com/<tenant>/v2.0), or set `issuerUrl` when they legitimately differ.',
  },
  async run(ctx) {
    const issuer = ctx.target.auth.oidcIssuer;
    // A chart default Flyte does not use (auth off) is not probed.
    if (!ctx.target.auth.enabled) return { status: 'skip', messageId: 'notConfigured', message: 'auth is off in the values: Flyte does not use the OIDC issuer' };
    if (!issuer) {
      const on = setting(ctx.target, 'auth.enabled');
      return {
        status: 'fail', messageId: 'noIssuer', cause: cause.config(baseUrlKey(ctx.target)),
        message: `auth is on (${whereSet(on)}) but no OIDC issuer is set (${baseUrlKey(ctx.target)} is empty): flyteadmin builds its OIDC provider from it at start and does not start ("Error creating oidc provider w/ issuer []")`,
        hint: `set ${baseUrlKey(ctx.target)} to your IdP's issuer URL (Okta: https://<org>.okta.com/oauth2/default; Microsoft Entra ID: https://login.microsoftonline.com/<tenant>/v2.0; Google: https://accounts.google.com; Keycloak: https://<host>/realms/<realm>), or turn auth off (${on.key ?? 'auth.enabled'}: false)`,
      };
    }
    const twice = schemeTwice(issuer);
    if (twice) return { status: 'fail', messageId: 'malformedIssuer', cause: cause.config(baseUrlKey(ctx.target)), message: `the OIDC issuer ${JSON.stringify(issuer)} (${baseUrlKey(ctx.target)}) has the scheme twice: flyteadmin reads "${twice.dialed}" as the host name, dials a host named ${twice.dialed} at start-up and does not start ("Error creating oidc provider"); nothing was probed`, hint: `set ${baseUrlKey(ctx.target)}: ${twice.meant}`, details: { issuer, meant: twice.meant } as Record<string, string> };
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const trust = await clientTrust(ctx.target);
    const timeoutMs = probeTimeout(ctx);
    let r;
    try { r = await httpRequest(ctx, url, { ...(trust.ca ? { ca: trust.ca } : {}), timeoutMs, headers: { accept: 'application/json' } }); } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      const u = new URL(url);
      const host = u.hostname.replace(/^\[|\]$/g, '');
      const hp = hostPortKey(host, u.port || (u.protocol === 'https:' ? 443 : 80));
      const d = { url, error: err.code ?? err.kind };
      switch (err.kind) {
        case 'nxdomain': return { status: 'fail', messageId: 'nxdomain', cause: cause.dns(host), message: `${host} (the OIDC issuer) does not exist in DNS`, hint: `set ${baseUrlKey(ctx.target)} to the issuer URL your IdP documents`, details: d };
        case 'dns': return { status: 'fail', messageId: 'dnsFailure', cause: cause.dns(host), message: `${host} (the OIDC issuer) could not be resolved: ${err.message}`, hint: 'check the resolver (VPN split DNS, --dns-server)', details: d };
        case 'refused': return { status: 'fail', messageId: 'refused', cause: cause.unreachable(hp), message: `nothing listens on ${hp} (the OIDC issuer)`, hint: `set ${baseUrlKey(ctx.target)} to the issuer URL your IdP documents (https, its real port)`, details: d };
        case 'timeout':
          // TCP accepted: not a firewall (src/clients/http.ts says how far the connection got)
          if (err instanceof HttpNoAnswerError && err.stage !== 'tcp') return { status: 'fail', messageId: 'noAnswer', cause: cause.unreachable(hp), message: `${err.message} (the OIDC issuer)`, hint: err.stage === 'tls-stalled' ? 'the TLS handshake with the IdP started and stopped: a path that loses large packets (an MTU black hole: a VPN, tunnel or proxy with a smaller MTU) between here and the IdP, or a TLS terminator in front of it that stalls; compare from another network' : 'the IdP (or a proxy in front of it) accepts connections and does not answer: check the IdP\'s health and what stands in front of it; flyteadmin needs to reach it too (egress / auth.userAuth.httpProxyURL)', details: d };
          return { status: 'fail', messageId: 'noAnswer', cause: cause.unreachable(hp), message: `no answer from ${hp} (the OIDC issuer) within ${Math.round(timeoutMs / 100) / 10}s`, hint: 'a firewall or proxy blocks the IdP from here; flyteadmin needs to reach it too (egress / auth.userAuth.httpProxyURL)', details: d };
        case 'stalled': return { status: 'fail', messageId: 'answerStalled', cause: cause.backend(`oidc-issuer:${hp}`), message: `the OIDC issuer's discovery document ${url}: ${err.message}: the IdP, or a proxy on the way, stalls in the middle of an answer`, hint: `fetch ${url} by hand (\`curl -v\`) and look at the IdP and any proxy between here and it; flyteadmin reads the same document at start`, details: d };
        case 'expired': case 'notYetValid': case 'selfSigned': case 'untrusted': case 'hostname': case 'tlsVersion':
          return { status: 'fail', messageId: 'issuerTls', cause: cause.tls(err.kind === 'hostname' ? 'name' : err.kind === 'tlsVersion' ? 'version' : err.kind === 'expired' || err.kind === 'notYetValid' ? 'expired' : 'untrusted', hp), message: `the OIDC issuer ${hp} presents a certificate this machine does not accept (${err.code ?? err.kind}): ${err.message}`, hint: err.code && CERT_FIELD_FAULTS[err.code] ? CERT_FIELD_FAULTS[err.code]! : err.kind === 'selfSigned' || err.kind === 'untrusted' ? 'an IdP with a private CA: flyteadmin must trust that CA too (mount it into the flyteadmin pod and point SSL_CERT_FILE at it); here, the CA of admin.caCertFilePath is the one used' : err.kind === 'hostname' ? `the certificate does not name ${host}: set ${baseUrlKey(ctx.target)} to the host name the IdP's certificate has` : err.kind === 'tlsVersion' ? 'the IdP speaks no TLS version in common (TLS 1.2+ is needed)' : 'the IdP\'s certificate is out of its validity period: renew it (or check this machine\'s clock)', details: d };
        default:
          // it answered, wrongly (an unasked-for 100 Continue, a 101 upgrade): the base URL is not what is wrong
          if (err.connected && err.code === 'UND_ERR_SOCKET') return { status: 'fail', messageId: 'unrecognised', cause: cause.answer(hp, 'protocol'), message: `unrecognised: the OIDC issuer's discovery document ${url}: ${err.message}`, hint: `fetch ${url} by hand (\`curl -v\`) and look at the IdP and any proxy in front of it; ${baseUrlKey(ctx.target)} needs no change for this answer`, details: d };
          return { status: 'fail', messageId: 'unreachable', message: `${url} could not be fetched: ${err.message}`, hint: `check ${baseUrlKey(ctx.target)} (scheme, host, port) and the IdP's certificate`, details: d };
      }
    }
    const details = { url, httpStatus: r.status, contentType: r.contentType, configuredIssuer: issuer };
    const doc = jsonBody(r);
    const u = new URL(url);
    const hp = hostPortKey(u.hostname.replace(/^\[|\]$/g, ''), u.port || (u.protocol === 'https:' ? 443 : 80));
    const served = `${url} answered ${r.status}${r.contentType ? ` ${r.contentType}` : ''}${r.headers.server ? ` from ${r.headers.server}` : ''}`;
    if (r.status >= 300 && r.status < 400 && r.status !== 304 && r.status !== 305) {
      const loc = r.location ?? '';
      const toHttps = /^https:/i.test(loc) && u.protocol === 'http:' && new URL(loc).hostname === u.hostname;
      return { status: 'fail', messageId: 'issuerRedirect', cause: cause.config(baseUrlKey(ctx.target)), message: `${served}, a redirect to ${loc || '(no Location)'}: flyteadmin reads the document at the base URL itself`, hint: toHttps ? `set ${baseUrlKey(ctx.target)} to the https URL (${issuer.replace(/^http:/i, 'https:')})` : `set ${baseUrlKey(ctx.target)} to the issuer URL the IdP documents (the document's own "issuer"), not an address that redirects`, details: { ...details, location: loc } };
    }
    if (r.status === 401 || r.status === 403) {
      return { status: 'fail', messageId: 'issuerBlocked', cause: cause.frontAuth(hp), message: `${served}${r.headers['www-authenticate'] ? ` (WWW-Authenticate: ${r.headers['www-authenticate'].slice(0, 120)})` : ''}: something in front of the IdP ${r.status === 401 ? 'wants credentials for' : 'refuses (an IP allow-list, a WAF rule)'} the public discovery request`, hint: 'the discovery document and the JWKS must be reachable without credentials: remove the auth / IP allow-list in front of them for flyteadmin (and from this machine to check), or use a proxy that allows them (auth.userAuth.httpProxyURL)', details };
    }
    // what a captive portal, a web filter or a proxy in front answers for itself: the base URL may well be right
    const front = frontAnswer(r, { subject: 'the IdP' });
    if (front?.kind === 'request-timeout') {
      return { status: 'fail', messageId: 'issuerAnswerFault', cause: cause.frontAuth(hp), message: `${served}: ${front.text}; the URL itself may well be right`, hint: `check the timeouts of the proxy or load balancer in front of ${u.hostname} (its client / request timeout); ${baseUrlKey(ctx.target)} needs no change`, details };
    }
    if (front && front.kind !== 'gone') {
      return { status: 'fail', messageId: 'issuerBlocked', cause: cause.frontAuth(hp), message: `${served}: ${front.text}; the URL itself may well be right`, hint: frontNetworkFix(front.kind, u.hostname) ?? `have the network let ${u.hostname} through from here (a web filter or proxy allow-list); flyteadmin reaches the IdP from the cluster's network, which may not pass the same filter`, details };
    }
    const fault = statusFault(r, u.hostname);
    if (fault) {
      const unknown = fault.kind === 'unrecognised';
      return { status: 'fail', messageId: unknown ? 'unrecognised' : 'issuerAnswerFault', cause: fault.kind === 'cdn-origin' ? cause.backend(`oidc-issuer:${hp}`) : cause.answer(hp, r.status), message: `${unknown ? 'unrecognised: ' : ''}${served}: ${fault.text}${unknown ? '' : '; the URL itself may well be right'}`, hint: `${fault.fix}; ${baseUrlKey(ctx.target)} needs no change for this answer`, details };
    }
    if (r.status >= 500 || r.status === 429) {
      return { status: 'fail', messageId: 'issuerError', cause: cause.backend(`oidc-issuer:${hp}`), message: `${served}: the IdP (or a proxy in front of it) fails now; the URL itself may well be right`, hint: `retry, and check the IdP's status; ${baseUrlKey(ctx.target)} needs no change unless the IdP's own documentation names another URL`, details };
    }
    if (r.status === 200 && doc && (!doc.issuer || !doc.authorization_endpoint || !doc.token_endpoint || !doc.jwks_uri)) {
      const missing = ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'].filter((k) => !doc[k]);
      return { status: 'fail', messageId: 'incompleteDiscovery', cause: cause.config(baseUrlKey(ctx.target)), message: `${url} answered JSON without ${missing.join(', ')}: not an OpenID Provider's discovery document (an OAuth 2.0 metadata document, an API, or a stub)`, hint: `set ${baseUrlKey(ctx.target)} to the OpenID issuer URL of the IdP (the document at <issuer>/.well-known/openid-configuration must carry issuer, authorization_endpoint, token_endpoint, jwks_uri: flyteadmin reads the keys from jwks_uri and exchanges the login code at token_endpoint)`, details: { ...details, missing } };
    }
    if (r.status >= 400 && r.status !== 404 && r.status !== 410) {
      // a 4xx that says neither "not here" nor "not allowed": what it means is not known, the base URL may be right
      return { status: 'fail', messageId: 'unrecognised', cause: cause.answer(hp, r.status), message: `unrecognised: ${served}: not an OpenID discovery document and not a status that names a cause${r.body ? ` (${JSON.stringify(r.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 100))})` : ''}`, hint: `fetch ${url} by hand (\`curl -v\`) and look at what answers it; set ${baseUrlKey(ctx.target)} to another URL only if the IdP documents another issuer`, details };
    }
    if (r.status !== 200 || !doc) {
      return { status: 'fail', messageId: 'noDiscovery', message: `${url} answered ${r.status} ${r.contentType || ''}: ${r.truncated ? 'larger than 64 KiB (cut), so not read as' : 'not'} an OpenID discovery document`, hint: `set ${baseUrlKey(ctx.target)} to the issuer URL (the part before /.well-known/openid-configuration; Azure AD: https://login.microsoftonline.com/<tenant-id>/v2.0, not .../oauth2/v2.0/authorize)`, details };
    }
    const got = String(doc.issuer ?? '');
    const norm = (s: string) => s.replace(/\/+$/, '');
    // go-oidc (flyteadmin's oidc.NewProvider) compares the two strings exactly: a trailing slash is a mismatch
    if (got !== issuer && norm(got) === norm(issuer)) {
      return { status: 'fail', messageId: 'issuerMismatch', cause: cause.config(baseUrlKey(ctx.target)), message: `the discovery document at ${url} names issuer "${got}", and ${baseUrlKey(ctx.target)} is "${issuer}": they differ only by the trailing slash, and flyteadmin (go-oidc) compares them exactly, so it does not start ("oidc: issuer did not match the issuer returned by provider, expected \"${issuer}\" got \"${got}\"")`, hint: `set ${baseUrlKey(ctx.target)}: ${got} (exactly as the document states it, ${/\/$/.test(got) ? 'with' : 'without'} the trailing slash)`, details: { ...details, issuer: got } };
    }
    if (norm(got) !== norm(issuer)) {
      return { status: 'fail', messageId: 'issuerMismatch', message: `the discovery document at ${url} names issuer "${got}", not "${issuer}" (flyteadmin: "issuer did not match the issuer returned by provider")`, hint: `set ${baseUrlKey(ctx.target)}: ${got} — or, when the IdP is reached through another address, keep the base URL and set ${ctx.target.auth.valuesKey.startsWith('configmap') ? `${ctx.target.auth.valuesKey}.userAuth.openId` : 'auth.userAuth.openId'}.issuerUrl: ${got}`, details: { ...details, issuer: got } };
    }
    return { status: 'pass', messageId: 'matches', message: `${url}: issuer ${got} matches; authorization endpoint ${String(doc.authorization_endpoint ?? '?')}`, details: { ...details, issuer: got, ...(doc.jwks_uri ? { jwksUri: String(doc.jwks_uri) } : {}) } };
  },
});
