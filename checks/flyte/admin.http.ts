import { ingressHttpBase } from '../../src/config/endpoints.js';
import { probeTimeout } from '../../src/engine/budget.js';
import { clientTrust } from '../../src/clients/trust.js';
import { httpRequest, isHtml, jsonBody } from '../../src/clients/http.js';
import { ProbeError, describeNetFailure } from '../../src/clients/tls.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'flyte.admin.http',
  title: 'flyteadmin answers /api/v1/version over HTTP through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  explain: {
    what: 'GET `<ingress>/api/v1/version` (the grpc-gateway route of GetVersion) and report `control_plane_version` (details.version).',
    why: 'The console and REST clients use this path; the version goes into the report header and shows builds without version information ("unknown").',
    fix: 'Route /api to flyteadmin\'s HTTP port; use official images for a known version.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const url = `${ingressHttpBase(ctx.target)}/api/v1/version`;
    const trust = await clientTrust(ctx.target);
    const timeoutMs = probeTimeout(ctx);
    let r;
    try { r = await httpRequest(ctx, url, { ...(trust.ca ? { ca: trust.ca } : {}), skipVerify: trust.skipVerify, timeoutMs, headers: { accept: 'application/json' } }); } catch (err) {
      if (!(err instanceof ProbeError) || err.kind === 'aborted') throw err;
      const u = new URL(url);
      return { status: 'fail', ...describeNetFailure(err.kind, `${u.hostname}:${u.port || (u.protocol === 'https:' ? 443 : 80)}`, err.message, timeoutMs), details: { url, error: err.code ?? err.kind } };
    }
    const details = { url, httpStatus: r.status, contentType: r.contentType };
    if (r.status === 401) return { status: 'pass', messageId: 'authRequired', message: `${url} answered 401: flyteadmin is reachable, the version needs a token`, details };
    const doc = jsonBody(r);
    const v = doc?.control_plane_version as { Version?: string; Build?: string; BuildTime?: string } | undefined;
    if (r.status === 200 && v) {
      const version = v.Version ?? '';
      if (!version || version === 'unknown') return { status: 'warn', messageId: 'versionUnknown', message: `flyteadmin reports version "${version || 'empty'}" at ${url}`, hint: 'the image was built without version ldflags: use an official flyteadmin/flyte-binary image tag', details: { ...details, version } };
      return { status: 'pass', message: `flyteadmin ${version} (build ${v.Build ?? '?'}) at ${url}`, details: { ...details, version, build: v.Build ?? '', buildTime: v.BuildTime ?? '' } };
    }
    if (isHtml(r) || r.status === 404) return { status: 'fail', messageId: 'notRouted', message: `${url} answered ${r.status} ${r.contentType}: /api is not routed to flyteadmin`, hint: 'route /api and /api/* to flyteadmin\'s HTTP port (binary <fullname>-http:8088, core flyteadmin:80)', details };
    return { status: 'fail', messageId: 'unexpectedAnswer', message: `${url} answered ${r.status} ${r.contentType}`, hint: 'flyteadmin must answer /api/v1/version with JSON: check the flyteadmin pod and the /api route', details };
  },
});
