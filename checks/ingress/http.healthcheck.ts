import { ingressHttpBase } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpRequest, type HttpResponse } from '../../src/clients/http.js';
import { ProbeError, describeNetFailure } from '../../src/clients/tls.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Json, Outcome } from '../../src/engine/types.js';

/** GETs `path` on the ingress with the client's trust; transport failures become a fail outcome. */
export async function ingressGet(ctx: CheckContext, path: string, headers?: Record<string, string>): Promise<{ res?: HttpResponse; fail?: Outcome; url: string; details: Record<string, Json> }> {
  const base = ingressHttpBase(ctx.target) ?? '';
  const url = `${base}${path}`;
  const trust = await clientTrust(ctx.target);
  const timeoutMs = probeTimeout(ctx);
  const details: Record<string, Json> = { url };
  try {
    const res = await httpRequest(ctx, url, { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify, timeoutMs, ...(headers ? { headers } : {}) });
    details.httpStatus = res.status;
    details.contentType = res.contentType;
    if (res.headers.server) details.server = res.headers.server;
    return { res, url, details };
  } catch (err) {
    if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
    const u = new URL(url);
    const where = `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`;
    const f = describeNetFailure(err.kind, where, err.message, timeoutMs);
    if (err.kind === 'plaintext') f.hint = `the ingress URL ${base} is https but the port speaks plaintext: enable TLS on the ingress (${ctx.target.chart === 'flyte-core' ? 'common.ingress.tls.enabled: true' : 'ingress.tls'}) or use its TLS port`;
    return { fail: { status: 'fail', ...f, details: { ...details, error: err.code ?? err.kind } }, url, details };
  }
}

export function snippet(r: HttpResponse): string {
  return r.body.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
}

export default defineCheck({
  id: 'ingress.http.healthcheck',
  title: 'flyteadmin /healthcheck answers 200 through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  explain: {
    what: 'GET `<ingress>/healthcheck` with the client\'s trust settings; flyteadmin answers 200 with an empty body, without auth.',
    why: 'Separates HTTP routing problems from gRPC ones: when this passes and gRPC fails, the gRPC ingress is the problem.',
    fix: 'Route `/healthcheck` to flyteadmin\'s HTTP port (the charts render it); a 502/503 means the ingress has no ready flyteadmin endpoint.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const { res, fail, url, details } = await ingressGet(ctx, '/healthcheck');
    if (fail) return fail;
    const r = res!;
    if (r.status === 200) return { status: 'pass', message: `${url} answered 200`, details };
    if (r.status === 404) return { status: 'fail', messageId: 'notRouted', message: `${url} answered 404${r.headers.server ? ` from ${r.headers.server}` : ''}: /healthcheck is not routed to flyteadmin`, hint: 'route /healthcheck (and /api, /console, /.well-known, /config, /login, /callback, /me, /oauth2) to flyteadmin\'s HTTP port (binary <fullname>-http:8088, core flyteadmin:80); the chart ingress renders these paths', details };
    if (r.status === 502 || r.status === 503 || r.status === 504) return { status: 'fail', messageId: 'backendDown', message: `${url} answered ${r.status}: the ingress has no healthy flyteadmin backend`, hint: 'kubectl -n <ns> get pods,endpoints: flyteadmin must be Ready and the Service port of the HTTP ingress must be its HTTP port (8088 / 80)', details };
    return { status: 'fail', messageId: 'unexpectedStatus', message: `${url} answered ${r.status} ${r.contentType} ${snippet(r)}`, hint: 'route /healthcheck to flyteadmin\'s HTTP port without auth in front of it (flyteadmin serves it outside auth)', details };
  },
});
