import { adminEndpoint } from '../../src/config/endpoints.js';
import { getVersion } from '../../src/clients/grpc.js';
import { defineCheck } from '../../src/engine/define.js';
import { versionAgainstDeployment } from '../../src/flyte/admin-version.js';
import { GRPC_SERVICES } from '../../src/flyte/ingress.js';
import { GRPC_MESSAGES, grpcProbe } from '../ingress/_support.js';

export default defineCheck({
  id: 'flyte.admin.grpc',
  title: 'flyteadmin answers GetVersion over gRPC on the client endpoint',
  phases: ['verify'],
  needs: ['endpoint'],
  // The client's own dial path: when its TLS mode does not match the server, that check is the finding.
  dependsOn: ['dns.admin.resolve', 'client.config.tls-mode'],
  timeoutMs: 8000,
  messages: {
    ...GRPC_MESSAGES,
    answers: { status: 'pass', summary: 'flyteadmin answered GetVersion; its version goes into the report header.' },
    versionUnknown: { status: 'warn', summary: 'flyteadmin answered GetVersion without a version (an image built without version ldflags).' },
    otherVersion: { status: 'warn', summary: 'flyteadmin answered with another release version than the image the release in the namespace runs: the endpoint reaches another flyteadmin (an older install, another cluster) or a rollout has not finished.' },
  },
  explain: {
    what: 'Calls `AdminService/GetVersion` on `admin.endpoint` with the client\'s `insecure` / `caCertFilePath` / `insecureSkipVerify`, exactly as flytectl dials it, and reports the flyteadmin version (details.version). UNAUTHENTICATED counts only when auth is on. In verify, a release version (vX.Y.Z) is compared with the image tag of the release\'s flyteadmin Deployment when the Kubernetes API can be read.',
    why: 'This is the call every flytectl/pyflyte command starts with; its version goes into the report header.',
    fix: 'See the message: the TLS, routing and auth checks name the cause.',
  },
  async run(ctx) {
    const t = adminEndpoint(ctx.target)!;
    const p = await grpcProbe(ctx, t, GRPC_SERVICES.admin, (o, ms) => getVersion(ctx, t, o, ms), 'client');
    if (!p.ok) return p.outcome;
    const v = p.value;
    if (!v.version || v.version === 'unknown') return { status: 'warn', messageId: 'versionUnknown', message: `flyteadmin at ${p.where} reports version "${v.version || 'empty'}" (build ${v.build || '?'})`, hint: 'the image was built without version ldflags: use an official flyteadmin/flyte-binary image tag to know which release runs', details: { endpoint: p.where, version: v.version, build: v.build } };
    const other = await versionAgainstDeployment(ctx, v.version, p.where);
    if (other) return { status: 'warn', messageId: 'otherVersion', message: other.message, hint: other.hint, details: { endpoint: p.where, version: v.version, build: v.build, ...other.details } };
    return { status: 'pass', messageId: 'answers', message: `flyteadmin ${v.version} (build ${v.build}) over gRPC at ${p.where}`, details: { endpoint: p.where, version: v.version, build: v.build, buildTime: v.buildTime } };
  },
});
