import { adminEndpoint } from '../../src/config/endpoints.js';
import { getVersion, grpcCallSetup, grpcFailureOutcome } from '../../src/clients/grpc.js';
import { defineCheck } from '../../src/engine/define.js';
import type { CheckContext, Outcome } from '../../src/engine/types.js';

export default defineCheck({
  id: 'flyte.admin.grpc',
  title: 'flyteadmin answers GetVersion over gRPC on the client endpoint',
  phases: ['verify'],
  needs: ['endpoint'],
  dependsOn: ['dns.admin.resolve'],
  timeoutMs: 8000,
  explain: {
    what: 'Calls `AdminService/GetVersion` on `admin.endpoint` with the client\'s `insecure` / `caCertFilePath` / `insecureSkipVerify`, exactly as flytectl dials it, and reports the flyteadmin version (details.version).',
    why: 'This is the call every flytectl/pyflyte command starts with; its version goes into the report header.',
    fix: 'See the message: the TLS, routing and auth checks name the cause.',
  },
  async run(ctx: CheckContext): Promise<Outcome> {
    const t = adminEndpoint(ctx.target)!;
    const { o, timeoutMs, where } = await grpcCallSetup(ctx, t);
    try {
      const v = await getVersion(ctx, t, o, timeoutMs);
      if (!v.version || v.version === 'unknown') return { status: 'warn', messageId: 'versionUnknown', message: `flyteadmin at ${where} reports version "${v.version || 'empty'}" (build ${v.build || '?'})`, hint: 'the image was built without version ldflags: use an official flyteadmin/flyte-binary image tag to know which release runs', details: { endpoint: where, version: v.version, build: v.build } };
      return { status: 'pass', message: `flyteadmin ${v.version} (build ${v.build}) over gRPC at ${where}`, details: { endpoint: where, version: v.version, build: v.build, buildTime: v.buildTime } };
    } catch (err) {
      const out = await grpcFailureOutcome(ctx, t, o, err, '/flyteidl.service.AdminService/GetVersion', timeoutMs);
      return out ?? { status: 'pass', messageId: 'authRequired', message: `flyteadmin at ${where} answered UNAUTHENTICATED: reachable, but GetVersion needs a token, so the version is not known`, details: { endpoint: where, grpcCode: 'UNAUTHENTICATED' } };
    }
  },
});
