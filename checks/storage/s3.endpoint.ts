import { surroundingWhitespace } from '../../src/config/hygiene.js';
import { HttpProbeError, hasS3Headers, httpProbe, isS3Xml, probeTls } from '../../src/clients/s3.js';
import { resolveHost } from '../../src/clients/resolve.js';
import { isClusterInternal } from '../../src/config/endpoints.js';
import { stepBudget } from '../../src/engine/budget.js';
import { cause } from '../../src/engine/causes.js';
import { defineCheck } from '../../src/engine/define.js';
import { effectiveEndpoint, endpointParts, shownEndpoint, signedUrlEndpoint, storageKey } from '../../src/flyte/storage.js';
import { s3NetFailure, s3NotS3 } from './_support.js';

export default defineCheck({
  id: 'storage.s3.endpoint',
  title: 'The S3 endpoint answers as S3 from here',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.config.coherent'],
  timeoutMs: 10_000,
  writes: 'none',
  messages: {
    reachable: { status: 'pass', summary: 'The endpoint answered an unauthenticated request as an S3 API does (request-id headers or an S3 XML body).' },
    clusterInternal: { status: 'warn', summary: 'The endpoint is a cluster-internal name that does not resolve here: the backend\'s view cannot be checked from this machine (--in-cluster); signed URLs for clients outside need the override key.' },
    signedUrlUnreachable: { status: 'fail', summary: 'The endpoint is cluster-internal and the signed-URL override endpoint that clients outside the cluster get does not answer from here.' },
    dnsFailed: { status: 'fail', summary: 'The endpoint host does not resolve.' },
    unreachable: { status: 'fail', summary: 'Nothing answers at the endpoint: connection refused, dropped, no route, or accepted but silent.' },
    answerStalled: { status: 'fail', summary: 'The endpoint answered with a status and headers, then stopped sending the body (a stuck store or a buffering proxy in front).' },
    tlsToPlainPort: { status: 'fail', summary: 'The endpoint says https but the port speaks plain HTTP.' },
    plainToTlsPort: { status: 'fail', summary: 'The endpoint says http but the port speaks TLS.' },
    tlsFailed: { status: 'fail', summary: 'TLS failed: the certificate is not trusted, expired or for another name, or the handshake failed.' },
    interceptedInFront: { status: 'fail', summary: 'Something between here and the store answers for itself (a captive portal, a web filter, a proxy or auth gateway wanting its own credentials): the endpoint may be right.' },
    notS3: { status: 'fail', summary: 'Something other than an S3 API answers at the endpoint (an HTML page, an empty answer, another protocol); named with what answered.' },
    serverError: { status: 'fail', summary: 'A proxy at the endpoint answers 502/503/504: the store behind it is down.' },
    unrecognised: { status: 'fail', summary: 'The endpoint answered in a way no other finding covers.' },
    notAUrl: { status: 'fail', summary: 'The endpoint value is not a URL Flyte accepts (not parseable, or whitespace around it).' },
  },
  explain: {
    what: 'Sends one unauthenticated GET to the S3 endpoint (the custom endpoint, or AWS\'s regional one) and requires an S3 answer: x-amz-request-id/x-amz-id-2 or MinIO headers, or an S3 XML error. On failure it looks at what listens on the port (TLS, plain HTTP, SSH...).',
    why: 'A wrong host or port, https against a plain-HTTP MinIO (or http against TLS), a web server or console port instead of the S3 API, or a cluster-internal name break the backend or, for signed URLs, every client outside the cluster.',
    fix: 'Correct the endpoint/disableSSL values keys; for cluster-internal MinIO names run `flyte-doctor --in-cluster` for the backend\'s view and set the signed-URL endpoint override to an address clients outside the cluster can reach.',
  },
  async run(ctx) {
    const st = ctx.target.storage!;
    const parts = endpointParts(st);
    const url = shownEndpoint(st);
    // Go's url.Parse (Flyte's storage client) refuses a URL with whitespace around it ("invalid port
    // \":9000 \" after host"), where a WHATWG URL parser would quietly strip it.
    const ws = surroundingWhitespace(st.endpoint);
    if (ws) return { status: 'fail', messageId: 'notAUrl', cause: cause.config(storageKey(st, 'endpoint')), message: `the endpoint ${JSON.stringify(st.endpoint)} (${storageKey(st, 'endpoint')}) ${ws}: Flyte's storage client refuses it as a URL and the backend does not start`, hint: `set ${storageKey(st, 'endpoint')} to ${JSON.stringify(st.endpoint!.trim())}, with nothing around it`, details: { endpoint: url, whitespace: ws } as Record<string, string> };
    if (!parts) return { status: 'fail', messageId: 'notAUrl', cause: cause.config(storageKey(st, 'endpoint')), message: `the endpoint ${url} is not a URL`, hint: `set ${storageKey(st, 'endpoint')} to http(s)://host:port`, details: { endpoint: url } };
    const budget = stepBudget(ctx, 8000);
    const details = { endpoint: url, custom: !!st.endpoint };
    let r;
    try {
      r = await httpProbe(effectiveEndpoint(st), { method: 'GET', ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: Math.max(200, budget - 1600), signal: ctx.signal, maxBody: 16 * 1024 });
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      if (e.kind === 'dns' && isClusterInternal(parts.host) && !ctx.target.inCluster) {
        const override = signedUrlEndpoint(st);
        if (override) {
          try {
            await httpProbe(override, { method: 'GET', ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: Math.max(200, stepBudget(ctx, 4000)), signal: ctx.signal, maxBody: 4096 });
          } catch (e2) {
            if (!(e2 instanceof HttpProbeError)) throw e2;
            return { status: 'fail', messageId: 'signedUrlUnreachable', cause: cause.unreachable(new URL(override).host), message: `signed URLs point at ${override} (${st.signedUrlKey}), which does not answer from here: ${e2.message}; clients outside the cluster (pyflyte run --remote, the console) cannot upload or download`, hint: `set ${st.signedUrlKey} to an address of the store that clients outside the cluster reach (an ingress or LoadBalancer for the S3 API)`, details: { ...details, signedUrlEndpoint: override } };
          }
        }
        return {
          status: 'warn', messageId: 'clusterInternal', cause: cause.dns(parts.host),
          message: `cannot be checked from this machine: ${parts.host} is a cluster-internal name (it does not resolve here); Flyte's pods may well reach it${override ? '' : `. Signed URLs handed to clients outside the cluster (pyflyte run --remote, console downloads) point at it too unless ${st.signedUrlKey} is set`}`,
          hint: `run flyte-doctor --in-cluster for the backend's view of the store${override ? '' : `; for clients outside the cluster set ${st.signedUrlKey} to an address they reach (an ingress or LoadBalancer for the S3 API)`}`,
          details: { ...details, signedUrlEndpoint: override ?? null },
        };
      }
      return s3NetFailure(ctx, { kind: e.kind, code: e.code ?? '', message: e.message }, `the S3 endpoint ${url}`, details);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
    const text = r.body.toString('utf8');
    const d = { ...details, httpStatus: r.status, server: String(r.headers.server ?? ''), ms: r.ms };
    if (hasS3Headers(headers) || isS3Xml(text)) {
      return { status: 'pass', messageId: 'reachable', message: `${url} answers as S3 (HTTP ${r.status}${r.headers.server ? `, server ${r.headers.server}` : ''}) in ${r.ms} ms`, details: d };
    }
    // Not S3. A plain request answered by a TLS port (nginx/Go say so in a 400), or something else.
    const out = s3NotS3(ctx, { status: r.status, headers, body: r.body }, `the S3 endpoint ${url}`, details);
    if (out.messageId === 'notS3' && !parts.tls && r.status === 400) {
      try {
        const address = (await resolveHost(parts.host, ctx.target.dnsServer, 1000)).address;
        const tls = await probeTls(address, parts.port, parts.host, Math.min(1500, Math.max(300, ctx.remainingMs() - 500)));
        if (tls) return { ...s3NotS3(ctx, { status: r.status, headers, body: Buffer.from('The plain HTTP request was sent to HTTPS port') }, `the S3 endpoint ${url}`, details), details: { ...d, tls: `${tls.protocol}${tls.subject ? `, ${tls.subject}` : ''}` } };
      } catch { /* keep notS3 */ }
    }
    return out;
  },
});
