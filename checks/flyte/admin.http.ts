import { jsonBody, type HttpResponse } from '../../src/clients/http.js';
import { defineCheck } from '../../src/engine/define.js';
import { versionAgainstDeployment } from '../../src/flyte/admin-version.js';
import { adminHttpBackend } from '../../src/flyte/ingress.js';
import { HTTP_MESSAGES, httpProbe } from '../ingress/_support.js';

const versionOf = (r: HttpResponse) => {
  const v = jsonBody(r)?.control_plane_version;
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as { Version?: unknown; Build?: unknown; BuildTime?: unknown }) : undefined;
};

export default defineCheck({
  id: 'flyte.admin.http',
  title: 'flyteadmin answers /api/v1/version over HTTP through the ingress',
  phases: ['verify'],
  needs: ['ingress'],
  timeoutMs: 8000,
  messages: {
    ...HTTP_MESSAGES,
    answers: { status: 'pass', summary: 'flyteadmin answered /api/v1/version with its version document.' },
    versionUnknown: { status: 'warn', summary: 'flyteadmin answered without a version (an image built without version ldflags).' },
    otherVersion: { status: 'warn', summary: 'flyteadmin answered with another release version than the image the release in the namespace runs: the ingress reaches another flyteadmin (an older install) or a rollout has not finished.' },
  },
  explain: {
    what: 'GET `<ingress>/api/v1/version` (the grpc-gateway route of GetVersion; the ingress as the values define it) and report `control_plane_version` (details.version). A 401 counts only when it is flyteadmin\'s and auth is on.',
    why: 'The console and REST clients use this path; the version goes into the report header and shows builds without version information ("unknown").',
    fix: 'Route /api to flyteadmin\'s HTTP port; use official images for a known version.',
  },
  async run(ctx) {
    const p = await httpProbe(ctx, { path: '/api/v1/version', backend: adminHttpBackend, guarded: true, what: 'flyteadmin\'s HTTP port', headers: { accept: 'application/json' }, accept: (r) => r.status === 200 && !!versionOf(r) });
    if (!p.ok) return p.outcome;
    const v = versionOf(p.res)!;
    const version = typeof v.Version === 'string' ? v.Version : '';
    const build = typeof v.Build === 'string' ? v.Build : '';
    if (!version || version === 'unknown') return { status: 'warn', messageId: 'versionUnknown', message: `flyteadmin reports version "${version || 'empty'}" at ${p.url}`, hint: 'the image was built without version ldflags: use an official flyteadmin/flyte-binary image tag', details: { ...p.details, version } };
    const other = await versionAgainstDeployment(ctx, version, p.url);
    if (other) return { status: 'warn', messageId: 'otherVersion', message: other.message, hint: other.hint, details: { ...p.details, version, build, ...other.details } };
    return { status: 'pass', messageId: 'answers', message: `flyteadmin ${version} (build ${build || '?'}) at ${p.url}`, details: { ...p.details, version, build, buildTime: typeof v.BuildTime === 'string' ? v.BuildTime : '' } };
  },
});
