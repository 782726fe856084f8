import { effectiveEndpoint, HttpProbeError, httpProbe, isClusterInternal, storageKey } from '../../src/clients/s3.js';
import { stepBudget } from '../../src/clients/postgres.js';
import { defineCheck } from '../../src/engine/define.js';
import type { Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'storage.s3.endpoint',
  title: 'The S3 endpoint answers HTTP from here',
  phases: ['preflight', 'verify'],
  needs: ['storage.s3'],
  dependsOn: ['storage.config.coherent'],
  timeoutMs: 10_000,
  writes: 'none',
  explain: {
    what: 'Sends one unauthenticated HTTP request to the S3 endpoint (the custom endpoint, or AWS\'s regional endpoint); any HTTP answer proves it is reachable and speaks HTTP with the expected TLS setting.',
    why: 'A wrong host or port, TLS against a plain-HTTP MinIO (`disableSSL`), or a cluster-internal name break the backend or, for signed URLs, every client outside the cluster.',
    fix: 'Correct the endpoint/disableSSL values keys; for cluster-internal MinIO names set the signed-URL endpoint override to an address clients outside the cluster can reach.',
  },
  async run(ctx): Promise<Outcome> {
    const st = ctx.target.storage!;
    const url = effectiveEndpoint(st);
    const host = new URL(url).hostname;
    const budget = stepBudget(ctx, 8000);
    const details = { endpoint: url, custom: !!st.endpoint };
    try {
      const r = await httpProbe(url, { method: 'GET', ...(ctx.target.dnsServer ? { dnsServer: ctx.target.dnsServer } : {}), timeoutMs: budget, signal: ctx.signal, maxBody: 4096 });
      return { status: 'pass', messageId: 'reachable', message: `${url} answers HTTP ${r.status} in ${r.ms} ms${r.headers.server ? ` (server: ${r.headers.server})` : ''}`, details: { ...details, httpStatus: r.status, server: String(r.headers.server ?? ''), ms: r.ms } };
    } catch (e) {
      if (!(e instanceof HttpProbeError)) throw e;
      const d = { ...details, kind: e.kind, ...(e.code ? { code: e.code } : {}) };
      const ep = storageKey(st, 'endpoint');
      if (e.kind === 'dns' && isClusterInternal(host)) {
        return { status: 'fail', messageId: 'clusterInternal', message: `endpoint host ${host} is a cluster-internal name that does not resolve here: Flyte pods may reach it, but signed URLs (pyflyte run --remote, register, console downloads) point at it too`, hint: `set ${st.signedUrlKey} to an endpoint clients outside the cluster can reach (ingress or LoadBalancer for MinIO); run flyte-doctor inside the cluster (or port-forward) to probe the buckets`, details: d };
      }
      switch (e.kind) {
        case 'dns': return { status: 'fail', messageId: 'dns', message: `endpoint host ${host} does not resolve: ${e.message}`, hint: `fix ${ep}`, details: d };
        case 'refused': return { status: 'fail', messageId: 'refused', message: `connection refused by ${new URL(url).host}: nothing listens there`, hint: `check ${ep} (host and port) and that the object store is running`, details: d };
        case 'timeout': return { status: 'fail', messageId: 'timeout', message: `no answer from ${new URL(url).host} within ${Math.round(budget / 100) / 10}s`, hint: `a firewall or wrong host drops traffic; check ${ep} and the network path`, details: d };
        case 'tls': return { status: 'fail', messageId: 'tlsMismatch', message: `${e.message}: the endpoint probably speaks plain HTTP`, hint: `use http:// in ${ep} and set ${storageKey(st, 'disableSSL')}: true, or enable TLS on the object store`, details: d };
        case 'tls-untrusted': return { status: 'fail', messageId: 'certUntrusted', message: e.message, hint: `use a certificate from a public CA on the endpoint, or add its CA to the trust store of the Flyte pods and clients (SSL_CERT_FILE / NODE_EXTRA_CA_CERTS for flyte-doctor)`, details: d };
        case 'reset': case 'unreachable': return { status: 'fail', messageId: 'connectionFailed', message: e.message, hint: `check ${ep}: is it the object store's S3 port?`, details: d };
        default: throw e;
      }
    }
  },
});
